import Crypto
import Foundation

/// An Ed25519 public key as SSH carries it (RFC 8709 §4): the blob `string "ssh-ed25519",
/// string key`, and the one-line `authorized_keys` text around it.
public struct SSHEd25519PublicKey: Hashable, Sendable {
    public static let algorithm = "ssh-ed25519"
    /// Far more than a key and any sensible comment: a longer line is refused unread.
    public static let maximumLineLength = 4096

    /// The 32 bytes of the key.
    public let rawRepresentation: [UInt8]

    public init(rawRepresentation: [UInt8]) throws(SSHFormatError) {
        guard rawRepresentation.count == 32, (try? Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation)) != nil else {
            throw SSHFormatError(.malformed, "an Ed25519 public key is 32 bytes, not \(rawRepresentation.count)")
        }
        self.rawRepresentation = rawRepresentation
    }

    public init(_ key: Curve25519.Signing.PublicKey) {
        rawRepresentation = Array(key.rawRepresentation)
    }

    /// A key from its wire blob, with nothing before or after it.
    public init(blob: [UInt8]) throws(SSHFormatError) {
        var reader = SSHWireReader(blob)
        let algorithm = try reader.string(maximumLength: 64)
        guard algorithm == Array(Self.algorithm.utf8) else {
            throw SSHFormatError(.malformed, "the key is not an \(Self.algorithm) key")
        }
        let key = try reader.string(maximumLength: 32)
        guard reader.isAtEnd else { throw SSHFormatError(.malformed, "bytes follow the key") }
        try self.init(rawRepresentation: key)
    }

    /// A key as `ssh-keygen` writes it and a client sends it: `ssh-ed25519 BASE64 [comment]`, one
    /// line, no options before the type. The comment is not kept.
    public init(authorizedKeysLine line: String) throws(SSHFormatError) {
        guard line.utf8.count <= Self.maximumLineLength else {
            throw SSHFormatError(.tooLong, "a public key line is at most \(Self.maximumLineLength) bytes")
        }
        guard !line.utf8.contains(where: { $0 < 0x20 && $0 != 0x09 || $0 == 0x7F }) else {
            throw SSHFormatError(.malformed, "a public key is one line of printable text")
        }
        // Fields by their bytes: splitting the whole line into strings cost as much as decoding.
        let bytes = Array(line.utf8)
        let isBlank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        let algorithmEnd = bytes.firstIndex(where: isBlank) ?? bytes.endIndex
        let keyStart = bytes[algorithmEnd...].firstIndex { !isBlank($0) } ?? bytes.endIndex
        let keyEnd = bytes[keyStart...].firstIndex(where: isBlank) ?? bytes.endIndex
        guard bytes[..<algorithmEnd].elementsEqual(Self.algorithm.utf8), keyStart < keyEnd else {
            throw SSHFormatError(.malformed, "the key must start with '\(Self.algorithm) ' (only Ed25519 keys are certified)")
        }
        let text = String(decoding: bytes[keyStart..<keyEnd], as: UTF8.self)
        // Only the one canonical encoding: the text must be what encoding the decoded bytes gives.
        guard let blob = Data(base64Encoded: text), blob.base64EncodedString() == text else {
            throw SSHFormatError(.malformed, "the key's second field is not base64")
        }
        try self.init(blob: Array(blob))
    }

    public var blob: [UInt8] {
        var writer = SSHWireWriter()
        writer.string(Self.algorithm)
        writer.string(rawRepresentation)
        return writer.bytes
    }

    /// The key as one `authorized_keys` (and `TrustedUserCAKeys`) line.
    public func authorizedKeysLine(comment: String) -> String {
        "\(Self.algorithm) \(Data(blob).base64EncodedString()) \(comment)"
    }

    /// As `ssh-keygen -l` prints it and sshd logs it: `SHA256:` and the unpadded base64 of the
    /// blob's SHA-256.
    public var fingerprint: String {
        "SHA256:" + Data(SHA256.hash(data: blob)).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }
}
