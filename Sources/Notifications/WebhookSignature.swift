import CountersignCore
import Crypto
import Foundation

/// The signature on a webhook delivery, and its check, for receivers to copy: `v1=` and the hex
/// HMAC-SHA256, under the shared secret, of `"<Countersign-Timestamp>.<body>"`.
///
/// A receiver checks, in this order: the timestamp is unix seconds within `window` of its own
/// clock (either way: an old one is a replay, one from the future a clock to fix or a forgery
/// kept for later), then that some `v1=` entry of the signature header (several, comma-separated,
/// while a secret is rotated) is the HMAC of the timestamp, a dot and the raw body bytes as
/// received, compared in constant time. Only then is the body parsed, and a receiver that keeps
/// `Countersign-Delivery` ids for the window can drop a replay inside it too.
public enum WebhookSignature {
    public static let scheme = "v1"
    public static let defaultWindow: TimeInterval = 300

    public struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        public enum Code: String, Sendable, Hashable, CaseIterable {
            case malformedTimestamp = "malformed_timestamp"
            case malformedSignature = "malformed_signature"
            /// Older than the window: a replay, or a delivery held too long.
            case expired
            /// Further ahead than the window.
            case fromTheFuture = "from_the_future"
            /// No entry is the body's HMAC under this secret.
            case mismatch
        }

        public let code: Code

        public var description: String {
            switch code {
            case .malformedTimestamp: "the timestamp is not unix seconds"
            case .malformedSignature: "the signature has no well-formed v1 entry"
            case .expired: "the timestamp is older than the replay window"
            case .fromTheFuture: "the timestamp is further in the future than the replay window"
            case .mismatch: "the signature does not match the body"
            }
        }
    }

    /// The header's value for `body` sent at `timestamp`.
    public static func sign(body: [UInt8], timestamp: Int64, secret: [UInt8]) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: signedBytes(String(timestamp), body), using: SymmetricKey(data: secret))
        return scheme + "=" + Array(code).hexString
    }

    /// Whether `body`, with the `Countersign-Timestamp` and `Countersign-Signature` headers as
    /// received, was signed with `secret` within `window` of `now`; throws why not.
    public static func verify(
        body: [UInt8], timestamp: String, signature: String, secret: [UInt8], now: Date, window: TimeInterval = defaultWindow
    ) throws(Failure) {
        guard (1...12).contains(timestamp.utf8.count), timestamp.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let seconds = Int64(timestamp) else {
            throw Failure(code: .malformedTimestamp)
        }
        let age = now.timeIntervalSince1970 - Double(seconds)
        if age > window { throw Failure(code: .expired) }
        if -age > window { throw Failure(code: .fromTheFuture) }
        let candidates = SignatureHeader.codes(in: signature, scheme: scheme)
        guard !candidates.isEmpty else { throw Failure(code: .malformedSignature) }
        let matches = SignatureHeader.matches(candidates, message: signedBytes(timestamp, body), keys: [SymmetricKey(data: secret)])
        guard matches else { throw Failure(code: .mismatch) }
    }

    static func signedBytes(_ timestamp: String, _ body: [UInt8]) -> [UInt8] {
        Array(timestamp.utf8) + [UInt8(ascii: ".")] + body
    }
}
