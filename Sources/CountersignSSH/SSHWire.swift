/// The data types of the SSH wire format (RFC 4251 §5) that certificates, keys and revocation
/// lists are made of: big-endian integers and strings prefixed with their length.
struct SSHWireWriter {
    private(set) var bytes: [UInt8] = []

    mutating func byte(_ value: UInt8) {
        bytes.append(value)
    }

    mutating func uint32(_ value: UInt32) {
        bytes += (0..<4).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    mutating func uint64(_ value: UInt64) {
        bytes += (0..<8).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }

    /// Callers bound what they write far below 4 GiB (`SSHCertificate` and `KeyRevocationList`
    /// check every field), so the length always fits.
    mutating func string(_ value: [UInt8]) {
        uint32(UInt32(truncatingIfNeeded: value.count))
        bytes += value
    }

    mutating func string(_ value: String) {
        string(Array(value.utf8))
    }

    /// A string whose content is itself written with the wire types (a certificate's principals,
    /// its options, a revocation list's sections).
    mutating func nested(_ build: (inout SSHWireWriter) -> Void) {
        var inner = SSHWireWriter()
        build(&inner)
        string(inner.bytes)
    }
}

/// Reads the wire types back, refusing rather than trusting: every length is checked against
/// what is left and against the caller's bound.
struct SSHWireReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func uint32() throws(SSHFormatError) -> UInt32 {
        try take(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func uint64() throws(SSHFormatError) -> UInt64 {
        try take(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func string(maximumLength: Int) throws(SSHFormatError) -> [UInt8] {
        let length = try uint32()
        guard length <= maximumLength else {
            throw SSHFormatError(.tooLong, "a string of \(length) bytes where at most \(maximumLength) are allowed")
        }
        return try take(Int(length))
    }

    private mutating func take(_ count: Int) throws(SSHFormatError) -> [UInt8] {
        guard count <= bytes.count - offset else {
            throw SSHFormatError(.truncated, "the data ends \(count - (bytes.count - offset)) bytes early")
        }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }
}
