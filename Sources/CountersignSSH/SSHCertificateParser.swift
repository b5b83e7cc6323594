import Foundation

/// An OpenSSH certificate of an Ed25519 key as read back from its wire form
/// (PROTOCOL.certkeys, `ssh-ed25519-cert-v01@openssh.com`): what the recorder finds in the
/// certificate sshd accepted, which may come from this gateway or from `ssh-keygen -s`.
///
/// Reading checks the shape, not the signature: the reader trusts whoever verified it (sshd,
/// against `TrustedUserCAKeys`). Every length is checked against what is left and against a bound
/// before anything is copied, and a certificate the spec forbids (options out of order or named
/// twice, bytes after the signature) is refused rather than half understood.
public struct ParsedSSHCertificate: Hashable, Sendable {
    /// One critical option or extension: its name and its data field as the certificate holds it.
    public struct Field: Hashable, Sendable {
        public let name: String
        /// The raw data field: empty for a flag, else (for every option the spec and ssh-keygen
        /// define) an SSH string holding the value.
        public let data: [UInt8]

        public init(name: String, data: [UInt8]) {
            self.name = name
            self.data = data
        }

        /// The value inside the data field: nil for a flag (empty data), else the one SSH string
        /// the data holds, as text. Data that is not exactly one string of UTF-8 is refused.
        public func text() throws(SSHFormatError) -> String? {
            guard !data.isEmpty else { return nil }
            var reader = SSHWireReader(data)
            let inner = try reader.string(maximumLength: ParsedSSHCertificate.maximumFieldDataLength)
            guard reader.isAtEnd else { throw SSHFormatError(.malformed, "the data of \(name) holds more than one string") }
            guard let value = String(validating: inner, as: UTF8.self) else {
                throw SSHFormatError(.malformed, "the data of \(name) is not UTF-8 text")
            }
            return value
        }
    }

    /// Far above any certificate this gateway or ssh-keygen makes (under 1 KiB with a handful of
    /// options), and far below what could tire the reader.
    public static let maximumBlobLength = 16 * 1024
    public static let maximumKeyIDLength = 1024
    public static let maximumPrincipals = 256
    public static let maximumNameLength = 256
    public static let maximumFieldDataLength = 4096

    public let nonce: [UInt8]
    public let subjectKey: SSHEd25519PublicKey
    public let serial: UInt64
    public let kind: SSHCertificate.Kind
    public let keyID: String
    /// Empty means any principal (the spec's special case): kept as it is, for the caller to judge.
    public let principals: [String]
    public let validAfter: UInt64
    public let validBefore: UInt64
    public let criticalOptions: [Field]
    public let extensions: [Field]
    /// The CA's public key blob (any of the spec's CA key types).
    public let signatureKey: [UInt8]
    public let signature: [UInt8]

    /// Reads a certificate from its blob: the bytes of a `-cert.pub` line's second field.
    public init(blob: [UInt8]) throws(SSHFormatError) {
        guard blob.count <= Self.maximumBlobLength else {
            throw SSHFormatError(.tooLong, "a certificate is at most \(Self.maximumBlobLength) bytes")
        }
        var reader = SSHWireReader(blob)
        let algorithm = try reader.string(maximumLength: 64)
        guard algorithm.elementsEqual(SSHCertificate.algorithm.utf8) else {
            throw SSHFormatError(.malformed, "the certificate is not an \(SSHCertificate.algorithm) certificate")
        }
        nonce = try reader.string(maximumLength: 256)
        subjectKey = try SSHEd25519PublicKey(rawRepresentation: try reader.string(maximumLength: 32))
        serial = try reader.uint64()
        let kindValue = try reader.uint32()
        guard let kind = SSHCertificate.Kind(rawValue: kindValue) else {
            throw SSHFormatError(.invalidField, "a certificate's type is 1 (user) or 2 (host), not \(kindValue)")
        }
        self.kind = kind
        keyID = try Self.text(try reader.string(maximumLength: Self.maximumKeyIDLength), "key id")
        var principalReader = SSHWireReader(try reader.string(maximumLength: Self.maximumBlobLength))
        var principals: [String] = []
        while !principalReader.isAtEnd {
            guard principals.count < Self.maximumPrincipals else {
                throw SSHFormatError(.tooLong, "a certificate names at most \(Self.maximumPrincipals) principals")
            }
            principals.append(try Self.text(try principalReader.string(maximumLength: Self.maximumNameLength), "principal"))
        }
        self.principals = principals
        validAfter = try reader.uint64()
        validBefore = try reader.uint64()
        criticalOptions = try Self.fields(try reader.string(maximumLength: Self.maximumBlobLength), "critical option")
        extensions = try Self.fields(try reader.string(maximumLength: Self.maximumBlobLength), "extension")
        _ = try reader.string(maximumLength: Self.maximumBlobLength) // reserved: ignored, as the spec says
        signatureKey = try reader.string(maximumLength: 1024)
        signature = try reader.string(maximumLength: 1024)
        guard reader.isAtEnd else { throw SSHFormatError(.malformed, "bytes follow the certificate's signature") }
    }

    /// Reads a certificate from one OpenSSH line, `ssh-ed25519-cert-v01@openssh.com BASE64
    /// [comment]`: a `-cert.pub` file, or a line of the file sshd names in `SSH_USER_AUTH`
    /// after its method (`publickey `).
    public init(openSSHLine line: some StringProtocol) throws(SSHFormatError) {
        guard line.utf8.count <= Self.maximumBlobLength * 2 else {
            throw SSHFormatError(.tooLong, "a certificate line is at most \(Self.maximumBlobLength * 2) bytes")
        }
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count >= 2, words[0] == SSHCertificate.algorithm else {
            throw SSHFormatError(.malformed, "the line does not start with '\(SSHCertificate.algorithm) '")
        }
        guard let blob = Data(base64Encoded: String(words[1])) else {
            throw SSHFormatError(.malformed, "the certificate's second field is not base64")
        }
        try self.init(blob: Array(blob))
    }

    public func criticalOption(_ name: String) -> Field? {
        criticalOptions.first { $0.name == name }
    }

    public func `extension`(_ name: String) -> Field? {
        extensions.first { $0.name == name }
    }

    /// The `name, data` tuples of the options or extensions section: names printable, in the
    /// spec's lexical order, each once.
    private static func fields(_ section: [UInt8], _ what: String) throws(SSHFormatError) -> [Field] {
        var reader = SSHWireReader(section)
        var fields: [Field] = []
        while !reader.isAtEnd {
            let name = try text(try reader.string(maximumLength: maximumNameLength), what)
            let data = try reader.string(maximumLength: maximumFieldDataLength)
            if let previous = fields.last {
                guard previous.name.utf8.lexicographicallyPrecedes(name.utf8) else {
                    throw SSHFormatError(.invalidField, "\(what) \(name) is out of order or named twice")
                }
            }
            fields.append(Field(name: name, data: data))
        }
        return fields
    }

    /// Text a log or a path may show: printable ASCII only (sshd's own fields never need more).
    private static func text(_ bytes: [UInt8], _ field: String) throws(SSHFormatError) -> String {
        guard bytes.allSatisfy({ (0x20...0x7E).contains($0) }) else {
            throw SSHFormatError(.invalidField, "a \(field) is printable ASCII")
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
