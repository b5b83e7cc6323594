import Crypto
import Foundation

/// The audit log's hash chain: each record's hash covers the previous record's hash and the
/// canonical encoding of its own event, so editing, inserting or deleting any row breaks every
/// hash after it.
public enum AuditChain {
    /// The previous hash of the first record.
    public static let genesisHash = [UInt8](repeating: 0, count: 32)

    public static func hash(sequence: Int64, event: AuditEvent, previousHash: [UInt8]) -> [UInt8] {
        var encoding = CanonicalEncoding(tag: "countersign/audit-event/v1")
        encoding.append(bytes: previousHash)
        encoding.append(sequence)
        encoding.append(event.time)
        encoding.append(event.actor)
        encoding.append(event.action.rawValue)
        encoding.append(event.subject)
        encoding.append(Int64(event.details.count))
        for (key, value) in event.details.sorted(by: { $0.key < $1.key }) {
            encoding.append(field: key, value)
        }
        return encoding.sha256
    }

    public static func record(after previous: AuditRecord?, event: AuditEvent) -> AuditRecord {
        let sequence = (previous?.sequence ?? 0) + 1
        let previousHash = previous?.hash ?? genesisHash
        return AuditRecord(
            sequence: sequence, event: event, previousHash: previousHash,
            hash: hash(sequence: sequence, event: event, previousHash: previousHash)
        )
    }
}

/// Why a stretch of the audit log does not verify. `sequence` is the first bad one.
public struct AuditFault: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// A sequence number is missing or out of order (a row was deleted or inserted).
        case sequenceGap = "sequence_gap"
        /// The row's previous hash is not the hash of the row before it.
        case brokenLink = "broken_link"
        /// The row's hash does not match its own content (the row was edited).
        case contentMismatch = "content_mismatch"
        /// A signed checkpoint names a head that the log no longer has, or a different hash.
        case checkpointMismatch = "checkpoint_mismatch"
        /// A checkpoint's signature does not verify under the gateway's public key.
        case badCheckpointSignature = "bad_checkpoint_signature"
    }

    public let sequence: Int64
    public let kind: Kind
    public let message: String

    public init(sequence: Int64, kind: Kind, message: String) {
        self.sequence = sequence
        self.kind = kind
        self.message = message
    }

    public var description: String { "sequence \(sequence): \(message)" }
}

/// Checks records one at a time, in order, so a log of any size verifies in constant memory.
public struct AuditChainVerifier: Sendable {
    public private(set) var lastSequence: Int64
    public private(set) var lastHash: [UInt8]
    /// Hash of each sequence number a checkpoint asks about, filled in as records go by.
    private var wanted: [Int64: [UInt8]?]

    public init(checkpointSequences: Set<Int64> = []) {
        lastSequence = 0
        lastHash = AuditChain.genesisHash
        wanted = Dictionary(uniqueKeysWithValues: checkpointSequences.map { ($0, nil) })
    }

    public mutating func check(_ record: AuditRecord) -> AuditFault? {
        let expected = lastSequence + 1
        guard record.sequence == expected else {
            return AuditFault(sequence: expected, kind: .sequenceGap, message: "expected sequence \(expected), found \(record.sequence)")
        }
        guard record.previousHash == lastHash else {
            return AuditFault(sequence: record.sequence, kind: .brokenLink, message: "previous hash does not match the hash of sequence \(lastSequence)")
        }
        let recomputed = AuditChain.hash(sequence: record.sequence, event: record.event, previousHash: record.previousHash)
        guard recomputed == record.hash else {
            return AuditFault(sequence: record.sequence, kind: .contentMismatch, message: "content does not match its hash")
        }
        lastSequence = record.sequence
        lastHash = record.hash
        if wanted.keys.contains(record.sequence) { wanted[record.sequence] = record.hash }
        return nil
    }

    /// Checks signed checkpoints against what the records showed; call after the last record.
    public func check(_ checkpoints: [AuditCheckpoint], publicKey: Curve25519.Signing.PublicKey) -> AuditFault? {
        for checkpoint in checkpoints.sorted(by: { $0.sequence < $1.sequence }) {
            guard checkpoint.verifySignature(publicKey: publicKey) else {
                return AuditFault(sequence: checkpoint.sequence, kind: .badCheckpointSignature, message: "checkpoint signature does not verify")
            }
            guard checkpoint.sequence <= lastSequence, let seen = wanted[checkpoint.sequence] ?? nil else {
                return AuditFault(
                    sequence: lastSequence + 1, kind: .checkpointMismatch,
                    message: "a signed checkpoint covers sequence \(checkpoint.sequence) but the log ends at \(lastSequence): rows were removed"
                )
            }
            guard seen == checkpoint.headHash else {
                return AuditFault(sequence: checkpoint.sequence, kind: .checkpointMismatch, message: "hash differs from the signed checkpoint")
            }
        }
        return nil
    }
}
