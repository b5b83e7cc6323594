/// A strict decoder for the CBOR subset WebAuthn uses (CTAP2 canonical CBOR, RFC 8949 §4.2.3
/// "length-first" ordering as CTAP2 §8 requires of authenticators).
///
/// Refused: indefinite lengths, tags, floats and simple values other than false/true/null,
/// integers or lengths not in their shortest form, map keys out of canonical order or repeated,
/// nesting deeper than `maximumDepth`, and any length larger than what is left of the input,
/// which is checked before anything is allocated. Every refusal is `malformedCBOR`.
public struct CBORDecoder {
    public static let maximumDepth = 8

    private let bytes: [UInt8]
    private var offset: Int

    private init(_ bytes: [UInt8], offset: Int) {
        self.bytes = bytes
        self.offset = offset
    }

    /// Decodes one item from the start of `bytes`, returning it and how many bytes it took; the
    /// caller decides whether bytes may follow (authenticator data: extensions may).
    public static func decodePrefix(_ bytes: [UInt8]) throws(WebAuthnError) -> (value: CBORValue, consumed: Int) {
        var decoder = CBORDecoder(bytes, offset: 0)
        let value = try decoder.item(depth: 0)
        return (value, decoder.offset)
    }

    /// Decodes `bytes` as exactly one item; trailing bytes are refused.
    public static func decode(_ bytes: [UInt8]) throws(WebAuthnError) -> CBORValue {
        let (value, consumed) = try decodePrefix(bytes)
        guard consumed == bytes.count else {
            throw WebAuthnError(.malformedCBOR, "\(bytes.count - consumed) bytes follow the CBOR item")
        }
        return value
    }

    private mutating func item(depth: Int) throws(WebAuthnError) -> CBORValue {
        guard depth <= Self.maximumDepth else {
            throw WebAuthnError(.malformedCBOR, "nesting deeper than \(Self.maximumDepth)")
        }
        let start = offset
        let initial = try byte()
        let major = initial >> 5
        let argument = try self.argument(initial & 0x1F)
        switch major {
        case 0:
            return .unsigned(argument)
        case 1:
            return .negative(argument)
        case 2:
            return .bytes(try take(argument))
        case 3:
            guard let text = String(validating: try take(argument), as: UTF8.self) else {
                throw WebAuthnError(.malformedCBOR, "text string at byte \(start) is not UTF-8")
            }
            return .text(text)
        case 4:
            // Each element takes at least one byte: a count beyond the input is refused before
            // an array of that capacity could be reserved.
            let count = try boundedCount(argument, bytesPerElement: 1, at: start)
            var elements: [CBORValue] = []
            elements.reserveCapacity(count)
            for _ in 0..<count { elements.append(try item(depth: depth + 1)) }
            return .array(elements)
        case 5:
            let count = try boundedCount(argument, bytesPerElement: 2, at: start)
            var entries: [CBORMapEntry] = []
            entries.reserveCapacity(count)
            var previousKey: ArraySlice<UInt8>?
            for _ in 0..<count {
                let keyStart = offset
                let key = try item(depth: depth + 1)
                let encodedKey = bytes[keyStart..<offset]
                if let previousKey {
                    guard Self.canonicallyPrecedes(previousKey, encodedKey) else {
                        throw WebAuthnError(.malformedCBOR, previousKey == encodedKey
                            ? "map at byte \(start) repeats a key"
                            : "map at byte \(start) has keys out of canonical order")
                    }
                }
                previousKey = encodedKey
                entries.append(CBORMapEntry(key: key, value: try item(depth: depth + 1)))
            }
            return .map(entries)
        case 6:
            throw WebAuthnError(.malformedCBOR, "tags are not allowed (byte \(start))")
        default:
            switch initial {
            case 0xF4: return .bool(false)
            case 0xF5: return .bool(true)
            case 0xF6: return .null
            default: throw WebAuthnError(.malformedCBOR, "simple value or float 0x\(String(initial, radix: 16)) at byte \(start) is not allowed")
            }
        }
    }

    /// The argument of an initial byte (RFC 8949 §3), in its shortest form only.
    private mutating func argument(_ additional: UInt8) throws(WebAuthnError) -> UInt64 {
        let width: Int
        switch additional {
        case 0..<24: return UInt64(additional)
        case 24: width = 1
        case 25: width = 2
        case 26: width = 4
        case 27: width = 8
        case 31: throw WebAuthnError(.malformedCBOR, "indefinite lengths are not allowed (byte \(offset - 1))")
        default: throw WebAuthnError(.malformedCBOR, "reserved additional information \(additional) at byte \(offset - 1)")
        }
        var value: UInt64 = 0
        for byte in try take(UInt64(width)) { value = value << 8 | UInt64(byte) }
        let shortest: UInt64 = switch width {
        case 1: 24
        case 2: 0x100
        case 4: 0x1_0000
        default: 0x1_0000_0000
        }
        guard value >= shortest else {
            throw WebAuthnError(.malformedCBOR, "integer or length at byte \(offset - width - 1) is not in its shortest form")
        }
        return value
    }

    private func boundedCount(_ count: UInt64, bytesPerElement: Int, at start: Int) throws(WebAuthnError) -> Int {
        let remaining = bytes.count - offset
        guard count <= UInt64(remaining / bytesPerElement) else {
            throw WebAuthnError(.malformedCBOR, "item at byte \(start) claims \(count) elements; only \(remaining) bytes remain")
        }
        return Int(count)
    }

    private mutating func byte() throws(WebAuthnError) -> UInt8 {
        guard offset < bytes.count else { throw WebAuthnError(.malformedCBOR, "input ends inside an item") }
        defer { offset += 1 }
        return bytes[offset]
    }

    private mutating func take(_ count: UInt64) throws(WebAuthnError) -> [UInt8] {
        guard count <= UInt64(bytes.count - offset) else {
            throw WebAuthnError(.malformedCBOR, "a length of \(count) at byte \(offset) runs past the end of the input")
        }
        let end = offset + Int(count)
        defer { offset = end }
        return Array(bytes[offset..<end])
    }

    /// RFC 8949 §4.2.3: shorter encoded keys sort first; equal lengths compare byte by byte.
    static func canonicallyPrecedes(_ lhs: ArraySlice<UInt8>, _ rhs: ArraySlice<UInt8>) -> Bool {
        if lhs.count != rhs.count { return lhs.count < rhs.count }
        return lhs.lexicographicallyPrecedes(rhs)
    }
}
