import CountersignStore
import Crypto
import CountersignCore
import Foundation
import GRDB
import Keyring

extension SQLiteStore {
    /// The most records one `auditRecords` call returns; export pages through the rest.
    public static let maximumAuditPage = 1000

    public func appendAudit(_ events: [AuditEvent]) async throws -> [AuditRecord] {
        guard !events.isEmpty else { return [] }
        return try await write { db in try appendAudit(events, in: db) }
    }

    public func auditRecords(after sequence: Int64, limit: Int) async throws -> [AuditRecord] {
        guard (1...Self.maximumAuditPage).contains(limit) else {
            throw StoreError(.invalidQuery, "limit must be between 1 and \(Self.maximumAuditPage)")
        }
        return try await read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(AuditRows.columns) FROM audit_events WHERE sequence > ? ORDER BY sequence LIMIT ?",
                arguments: [sequence, limit]
            ).map(AuditRows.decode)
        }
    }

    public var committedAuditEvents: Int { auditTally.count }

    /// Appends inside the current write transaction; the events count as committed once it
    /// commits, and not at all if it rolls back.
    func appendAudit(_ events: [AuditEvent], in db: Database) throws -> [AuditRecord] {
        let records = try AuditRows.append(events, in: db)
        let tally = auditTally
        db.afterNextTransaction(onCommit: { _ in tally.add(records.count) })
        return records
    }

    public func auditHead() async throws -> AuditRecord? {
        try await read { db in try AuditRows.head(in: db) }
    }

    public func recordCheckpoint(signingKey: any SigningKey, at now: Date, spacing: TimeInterval?) async throws -> AuditCheckpoint? {
        try await write { db in
            guard let head = try AuditRows.head(in: db) else { return nil }
            let last = try Row.fetchOne(db, sql: "SELECT sequence, signed_at FROM audit_checkpoints ORDER BY sequence DESC LIMIT 1").map { row in
                let stored = StoredRow(row: row, table: "audit_checkpoints", key: "last")
                return AuditCheckpoint.Last(sequence: try stored.value("sequence", as: Int64.self), signedAt: try stored.time("signed_at"))
            }
            guard AuditCheckpoint.isDue(head: head, last: last, at: now, spacing: spacing) else { return nil }
            let checkpoint = try AuditCheckpoint.sign(sequence: head.sequence, headHash: head.hash, at: now, with: signingKey.signature(for:))
            try AuditRows.insert(checkpoint, in: db)
            _ = try appendAudit([AuditEvent(
                time: now, actor: AuditEvent.systemActor, action: .auditCheckpoint, subject: "audit",
                details: [
                    "sequence": String(checkpoint.sequence),
                    "head_hash": checkpoint.headHash.hexString,
                    "signature": checkpoint.signature.hexString,
                ]
            )], in: db)
            return checkpoint
        }
    }

    public func checkpoints() async throws -> [AuditCheckpoint] {
        try await read { db in try AuditRows.checkpoints(in: db) }
    }

    /// Reads the log through a cursor inside one read transaction: constant memory whatever its
    /// length, and a consistent snapshot while the gateway keeps appending.
    public func verifyAudit(publicKey: Curve25519.Signing.PublicKey) async throws -> AuditVerification {
        try await read { db in
            let checkpoints = try AuditRows.checkpoints(in: db)
            var verifier = AuditChainVerifier(checkpointSequences: Set(checkpoints.map(\.sequence)))
            func outcome(_ fault: AuditFault?) -> AuditVerification {
                AuditVerification(recordsVerified: verifier.lastSequence, checkpointCount: checkpoints.count, fault: fault)
            }
            let rows = try Row.fetchCursor(db, sql: "SELECT \(AuditRows.columns) FROM audit_events ORDER BY sequence")
            while let row = try rows.next() {
                let record: AuditRecord
                do throws(StoreError) {
                    record = try AuditRows.decode(row)
                } catch {
                    // A row that no longer reads was edited as surely as one whose hash differs.
                    return outcome(AuditFault(sequence: verifier.lastSequence + 1, kind: .contentMismatch, message: error.message))
                }
                if let fault = verifier.check(record) { return outcome(fault) }
            }
            return outcome(verifier.check(checkpoints, publicKey: publicKey))
        }
    }
}
