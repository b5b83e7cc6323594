import CountersignCore
import CountersignStore
import Foundation
import GRDB

/// Audit stream cursors as rows; what the columns mean, and how they become a cursor again, is
/// `StoredAuditStreamCursor`. A replacement runs inside the store's write transaction, which SQLite
/// gives one writer at a time, and compares every column with the cursor it was decided on.
enum AuditStreamRows {
    static func cursor(_ sink: AuditSinkName, in db: Database) throws -> AuditStreamCursor? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(StoredAuditStreamCursor.columns) FROM audit_stream_cursors WHERE sink = ?"), arguments: [sink.rawValue]
        ).map(decode)
    }

    static func cursors(in db: Database) throws -> [AuditStreamCursor] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT \(StoredAuditStreamCursor.columns) FROM audit_stream_cursors ORDER BY sink")).map(decode)
    }

    /// `next` in place of `current` if the row is still `current`, or as the sink's first row
    /// when `current` is nil and there is none; whether it was written.
    static func replace(_ current: AuditStreamCursor?, with next: AuditStreamCursor, in db: Database) throws -> Bool {
        let stored = StoredAuditStreamCursor(next)
        let values: [(any DatabaseValueConvertible)?] = [
            stored.sink, stored.acknowledged, Data(stored.acknowledgedHash), stored.holder, stored.leasedUntil, stored.failures,
            stored.nextAttemptAt, stored.failingSince, stored.outageAnnounced, stored.lastError,
        ]
        guard let current else {
            try db.executeCached(
                sql: "INSERT INTO audit_stream_cursors (\(StoredAuditStreamCursor.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sink) DO NOTHING",
                arguments: StatementArguments(values)
            )
            return db.changesCount == 1
        }
        let old = StoredAuditStreamCursor(current)
        try db.executeCached(
            sql: """
                UPDATE audit_stream_cursors SET acknowledged = ?, acknowledged_hash = ?, holder = ?, leased_until = ?, failures = ?,
                    next_attempt_at = ?, failing_since = ?, outage_announced = ?, last_error = ?
                WHERE sink = ? AND acknowledged = ? AND acknowledged_hash = ? AND holder IS ? AND leased_until IS ? AND failures = ?
                    AND next_attempt_at = ? AND failing_since IS ? AND outage_announced = ? AND last_error IS ?
                """,
            arguments: StatementArguments(Array(values.dropFirst()) + [
                old.sink, old.acknowledged, Data(old.acknowledgedHash), old.holder, old.leasedUntil, old.failures, old.nextAttemptAt,
                old.failingSince, old.outageAnnounced, old.lastError,
            ] as [(any DatabaseValueConvertible)?])
        )
        return db.changesCount == 1
    }

    /// The hash of the record at `sequence`, if the log has it.
    static func recordHash(_ sequence: Int64, in db: Database) throws -> [UInt8]? {
        try Data.fetchOne(db.cachedStatement(sql: "SELECT hash FROM audit_events WHERE sequence = ?"), arguments: [sequence]).map(Array.init)
    }

    /// A row of `StoredAuditStreamCursor.columns`, read by position.
    private static func decode(_ row: Row) throws(StoreError) -> AuditStreamCursor {
        let stored = StoredRow(row: row, table: "audit_stream_cursors", key: (try? row.decode(String.self, atIndex: 0)) ?? "?")
        return try StoredAuditStreamCursor(
            sink: try stored.value(at: 0, "sink"), acknowledged: try stored.value(at: 1, "acknowledged"),
            acknowledgedHash: try stored.blob(at: 2, "acknowledged_hash"), holder: try stored.optionalValue(at: 3, "holder"),
            leasedUntil: try stored.optionalValue(at: 4, "leased_until"), failures: try stored.value(at: 5, "failures"),
            nextAttemptAt: try stored.value(at: 6, "next_attempt_at"), failingSince: try stored.optionalValue(at: 7, "failing_since"),
            outageAnnounced: try stored.value(at: 8, "outage_announced"), lastError: try stored.optionalValue(at: 9, "last_error")
        ).restore()
    }
}
