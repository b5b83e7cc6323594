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
        return scheme + "=" + code.map { String(format: "%02x", $0) }.joined()
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
        let candidates = signature.split(separator: ",").compactMap { entry -> [UInt8]? in
            let parts = entry.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0] == scheme else { return nil }
            return hexBytes(parts[1])
        }
        guard !candidates.isEmpty else { throw Failure(code: .malformedSignature) }
        let message = signedBytes(timestamp, body)
        let key = SymmetricKey(data: secret)
        // Every candidate is checked, each in constant time: how long this takes says nothing about
        // how much of any of them was right.
        let matches = candidates.reduce(false) { found, candidate in
            HMAC<SHA256>.isValidAuthenticationCode(candidate, authenticating: message, using: key) || found
        }
        guard matches else { throw Failure(code: .mismatch) }
    }

    static func signedBytes(_ timestamp: String, _ body: [UInt8]) -> [UInt8] {
        Array(timestamp.utf8) + [UInt8(ascii: ".")] + body
    }

    /// The 32 bytes that 64 hex digits spell, or nil.
    static func hexBytes(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count == 2 * SHA256.byteCount else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(SHA256.byteCount)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
