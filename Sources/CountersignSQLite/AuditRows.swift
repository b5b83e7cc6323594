import CountersignStore
import CountersignCore
import Foundation
import GRDB

/// The audit chain as rows of `audit_events` and `audit_checkpoints`.
enum AuditRows {
    static let columns = "sequence, time, actor, action, subject, details, previous_hash, hash"

    /// Chains `events` after the current head and inserts them. Must run inside the caller's write
    /// transaction: SQLite serialises writers, so the head read here is still the head at insert
    /// time and the chain never forks.
    static func append(_ events: [AuditEvent], in db: Database) throws -> [AuditRecord] {
        let head = try Row.fetchOne(db.cachedStatement(sql: "SELECT sequence, hash FROM audit_events ORDER BY sequence DESC LIMIT 1"))
            .map { row in
                let stored = StoredRow(row: row, table: "audit_events", key: "head")
                return (sequence: try stored.value("sequence", as: Int64.self), hash: try stored.bytes("hash", count: 32))
            }
        var sequence = head?.sequence ?? 0
        var previousHash = head?.hash ?? AuditChain.genesisHash
        var records: [AuditRecord] = []
        for event in events {
            sequence += 1
            let record = AuditRecord(
                sequence: sequence, event: event, previousHash: previousHash,
                hash: AuditChain.hash(sequence: sequence, event: event, previousHash: previousHash)
            )
            try db.executeCached(
                sql: "INSERT INTO audit_events (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    record.sequence, event.time.millisecondsSinceEpoch, event.actor, event.action.rawValue,
                    event.subject, StoredJSON.encode(event.details), Data(record.previousHash), Data(record.hash),
                ]
            )
            records.append(record)
            previousHash = record.hash
        }
        return records
    }

    static func head(in db: Database) throws -> AuditRecord? {
        try Row.fetchOne(db, sql: "SELECT \(columns) FROM audit_events ORDER BY sequence DESC LIMIT 1").map(decode)
    }

    static func decode(_ row: Row) throws(StoreError) -> AuditRecord {
        let key = (try? row.decode(Int64.self, forColumn: "sequence")).map(String.init) ?? "?"
        let stored = StoredRow(row: row, table: "audit_events", key: key)
        return AuditRecord(
            sequence: try stored.value("sequence", as: Int64.self),
            event: AuditEvent(
                time: try stored.time("time"), actor: try stored.value("actor", as: String.self),
                action: AuditAction(rawValue: try stored.value("action", as: String.self)),
                subject: try stored.value("subject", as: String.self),
                details: try stored.json("details", as: [String: String].self)
            ),
            previousHash: try stored.bytes("previous_hash", count: 32),
            hash: try stored.bytes("hash", count: 32)
        )
    }

    static func insert(_ checkpoint: AuditCheckpoint, in db: Database) throws {
        try db.execute(
            sql: "INSERT INTO audit_checkpoints (sequence, head_hash, signed_at, signature) VALUES (?, ?, ?, ?)",
            arguments: [
                checkpoint.sequence, Data(checkpoint.headHash), checkpoint.signedAt.millisecondsSinceEpoch,
                Data(checkpoint.signature),
            ]
        )
    }

    static func checkpoints(in db: Database) throws -> [AuditCheckpoint] {
        try Row.fetchAll(db, sql: "SELECT sequence, head_hash, signed_at, signature FROM audit_checkpoints ORDER BY sequence")
            .map { row throws(StoreError) in
                let key = (try? row.decode(Int64.self, forColumn: "sequence")).map(String.init) ?? "?"
                let stored = StoredRow(row: row, table: "audit_checkpoints", key: key)
                return AuditCheckpoint(
                    sequence: try stored.value("sequence", as: Int64.self),
                    headHash: try stored.bytes("head_hash", count: 32),
                    signedAt: try stored.time("signed_at"),
                    signature: try stored.bytes("signature", count: 64)
                )
            }
    }
}
