import Crypto
import Foundation

/// A kind of bearer secret the gateway hands out, told apart by its prefix.
public protocol BearerSecretKind: Sendable {
    static var prefix: String { get }
}

/// A machine token's secret: `csm_…`.
public enum MachineTokenKind: BearerSecretKind {
    public static let prefix = "csm_"
}

/// The secret that lets one recorder append to one recording: `csr_…`.
public enum RecordingUploadKind: BearerSecretKind {
    public static let prefix = "csr_"
}

public typealias MachineTokenSecret = BearerSecret<MachineTokenKind>
public typealias RecordingUploadToken = BearerSecret<RecordingUploadKind>

/// A bearer secret: its kind's prefix and 32 random bytes in base64url without padding. The
/// prefix tells it from a person's session token (`cs1_`) and from other kinds before any lookup,
/// and lets secret scanners recognise a leaked one. The gateway keeps only its SHA-256 and hands
/// the secret out once.
///
/// Printing the value never shows the secret (`description` withholds it), so a stray
/// interpolation in a log line or an error message cannot leak it; `revealed` is spelled out
/// where it is meant to be shown.
public struct BearerSecret<Kind: BearerSecretKind>: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public static var prefix: String { Kind.prefix }
    static var randomByteCount: Int { 32 }
    /// 32 bytes in base64url without padding.
    static var encodedLength: Int { 43 }
    public static var length: Int { prefix.utf8.count + encodedLength }

    /// The secret itself, for the one answer that shows it and the client that presents it.
    public let revealed: String

    /// The secret spelled `text`, or nil unless it is exactly the prefix and 43 base64url
    /// characters: anything else was never issued, and is refused before the store is asked.
    public init?(_ text: String) {
        let bytes = text.utf8
        guard bytes.count == Self.length, text.hasPrefix(Self.prefix),
              bytes.dropFirst(Self.prefix.utf8.count).allSatisfy(Self.isBase64URLByte)
        else { return nil }
        revealed = text
    }

    public static func generate() -> BearerSecret {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    public static func generate(using generator: inout some RandomNumberGenerator) -> BearerSecret {
        BearerSecret(derivedBytes: (0..<randomByteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// The secret whose 32 bytes are `bytes` (a derivation's output).
    init(derivedBytes bytes: [UInt8]) {
        precondition(bytes.count == Self.randomByteCount, "a bearer secret is 32 bytes")
        // The encoding of 32 bytes always has the shape the parse checks.
        revealed = Self.prefix + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// What the store keeps and looks the token up by. A lookup by this hash is safe to time: it
    /// reveals nothing about any secret that hashes to something else.
    public var hash: [UInt8] { Array(SHA256.hash(data: Array(revealed.utf8))) }

    public var description: String { Self.prefix + "…(withheld)" }
    public var debugDescription: String { description }
    /// `dump` and debuggers show no field, so not the secret either.
    public var customMirror: Mirror { Mirror(self, children: [:]) }

    private static func isBase64URLByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }
}
