import Crypto
import Foundation

/// A signed statement "the audit log had `sequence` records, the last hashing to `headHash`".
/// Whoever keeps a copy can later prove that the log was truncated or rewritten.
public struct AuditCheckpoint: Hashable, Sendable {
    public let sequence: Int64
    public let headHash: [UInt8]
    public let signedAt: Date
    public let signature: [UInt8]

    public init(sequence: Int64, headHash: [UInt8], signedAt: Date, signature: [UInt8]) {
        self.sequence = sequence
        self.headHash = headHash
        self.signedAt = signedAt.truncatedToMilliseconds
        self.signature = signature
    }

    public static func signedMessage(sequence: Int64, headHash: [UInt8], signedAt: Date) -> [UInt8] {
        var encoding = CanonicalEncoding(tag: "countersign/audit-checkpoint/v1")
        encoding.append(sequence)
        encoding.append(bytes: headHash)
        encoding.append(signedAt)
        return encoding.bytes
    }

    /// `sign` is the keyring's Ed25519 signature over the message: the core never holds the key.
    public static func sign(
        sequence: Int64, headHash: [UInt8], at time: Date, with sign: (_ message: [UInt8]) throws -> [UInt8]
    ) throws -> AuditCheckpoint {
        let signedAt = time.truncatedToMilliseconds
        let message = signedMessage(sequence: sequence, headHash: headHash, signedAt: signedAt)
        return AuditCheckpoint(sequence: sequence, headHash: headHash, signedAt: signedAt, signature: try sign(message))
    }

    /// The last checkpoint as `isDue` weighs it: what it signed, and when.
    public struct Last: Sendable, Equatable {
        public let sequence: Int64
        public let signedAt: Date

        public init(sequence: Int64, signedAt: Date) {
            self.sequence = sequence
            self.signedAt = signedAt
        }
    }

    /// Whether the log's head needs a checkpoint, given the last one. Not when the head is
    /// already signed, and not when the only record since is that checkpoint's own
    /// `audit.checkpoint` event: signing it would add one more row each period for ever while
    /// nothing else happens. With a `spacing`, not either while the last is younger than that:
    /// several gateways on one database, each on its own timer, then sign once per period
    /// between them instead of once each. Without one (at shutdown) any unsigned head is due.
    public static func isDue(head: AuditRecord, last: Last?, at now: Date, spacing: TimeInterval? = nil) -> Bool {
        guard let last else { return true }
        if last.sequence == head.sequence || (head.event.action == .auditCheckpoint && last.sequence == head.sequence - 1) {
            return false
        }
        guard let spacing else { return true }
        return now.timeIntervalSince(last.signedAt) >= spacing
    }

    public func verifySignature(publicKey: Curve25519.Signing.PublicKey) -> Bool {
        publicKey.isValidSignature(signature, for: Self.signedMessage(sequence: sequence, headHash: headHash, signedAt: signedAt))
    }
}
