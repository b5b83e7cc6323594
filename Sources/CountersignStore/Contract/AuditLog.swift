import CountersignCore
import Crypto
import Foundation
import Keyring

/// The append-only, hash-chained audit log and its signed checkpoints. However many gateways
/// write, the chain stays linear: appends serialise on its head.
public protocol AuditLog: Sendable {
    /// Appends events that change nothing else (logins, policy reloads).
    func appendAudit(_ events: [AuditEvent]) async throws -> [AuditRecord]

    /// Up to `limit` records with a sequence greater than `sequence`, in order.
    func auditRecords(after sequence: Int64, limit: Int) async throws -> [AuditRecord]

    func auditHead() async throws -> AuditRecord?

    /// Signs the current head of the audit log and records both the checkpoint and an
    /// `audit.checkpoint` event, when `AuditCheckpoint.isDue` says one is due at `now` with that
    /// `spacing` (judged in the transaction that signs, so that gateways sharing the log keep
    /// the spacing between them); nil otherwise.
    func recordCheckpoint(signingKey: any SigningKey, at now: Date, spacing: TimeInterval?) async throws -> AuditCheckpoint?

    func checkpoints() async throws -> [AuditCheckpoint]

    /// Re-hashes the whole log in order, then checks every signed checkpoint against it.
    func verifyAudit(publicKey: Curve25519.Signing.PublicKey) async throws -> AuditVerification

    /// Audit events this store has committed since it was opened, for the appends counter.
    var committedAuditEvents: Int { get }
}

extension AuditLog {
    /// A checkpoint of any head not yet signed, however recent the last one (at shutdown).
    public func recordCheckpoint(signingKey: any SigningKey, at now: Date) async throws -> AuditCheckpoint? {
        try await recordCheckpoint(signingKey: signingKey, at: now, spacing: nil)
    }
}
