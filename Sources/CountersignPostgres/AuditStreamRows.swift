import CountersignCore
import CountersignStore
import Foundation
import Logging
import PostgresNIO

/// Audit stream cursors as rows; what the columns mean, and how they become a cursor again, is
/// `StoredAuditStreamCursor`, shared with SQLite. A replacement compares every column with the
/// cursor it was decided on in its own `WHERE`: a second gateway replacing the same row waits for
/// the first one's lock, then finds the row changed and writes nothing.
enum AuditStreamRows {
    static func cursors(_ sink: AuditSinkName?, on connection: PostgresConnection, logger: Logger) async throws -> [AuditStreamCursor] {
        var cursors: [AuditStreamCursor] = []
        for try await row in try await connection.query("""
            SELECT \(unescaped: StoredAuditStreamCursor.columns) FROM audit_stream_cursors
            WHERE \(sink?.rawValue)::text IS NULL OR sink = \(sink?.rawValue)::text ORDER BY sink
            """, logger: logger) {
            let stored = StoredPostgresCells(row, table: "audit_stream_cursors") { StoredPostgresCells.text(at: 0, of: $0) }
            cursors.append(try StoredAuditStreamCursor(
                sink: try stored.value(at: 0, "sink"), acknowledged: try stored.value(at: 1, "acknowledged"),
                acknowledgedHash: Array(try stored.value(at: 2, "acknowledged_hash", as: Data.self)), holder: try stored.value(at: 3, "holder"),
                leasedUntil: try stored.value(at: 4, "leased_until"), failures: try stored.value(at: 5, "failures"),
                nextAttemptAt: try stored.value(at: 6, "next_attempt_at"), failingSince: try stored.value(at: 7, "failing_since"),
                outageAnnounced: try stored.value(at: 8, "outage_announced"), lastError: try stored.value(at: 9, "last_error")
            ).restore())
        }
        return cursors
    }

    /// `next` in place of `current` if the row is still `current`, or as the sink's first row
    /// when `current` is nil and there is none; whether it was written.
    static func replace(_ current: AuditStreamCursor?, with next: AuditStreamCursor, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let new = StoredAuditStreamCursor(next)
        guard let current else {
            return try await PostgresStore.count(connection.query("""
                INSERT INTO audit_stream_cursors (\(unescaped: StoredAuditStreamCursor.columns))
                VALUES (\(new.sink), \(new.acknowledged), \(Data(new.acknowledgedHash)), \(new.holder), \(new.leasedUntil), \(new.failures),
                    \(new.nextAttemptAt), \(new.failingSince), \(new.outageAnnounced), \(new.lastError))
                ON CONFLICT (sink) DO NOTHING RETURNING 1
                """, logger: logger)) == 1
        }
        let old = StoredAuditStreamCursor(current)
        return try await PostgresStore.count(connection.query("""
            UPDATE audit_stream_cursors SET acknowledged = \(new.acknowledged), acknowledged_hash = \(Data(new.acknowledgedHash)),
                holder = \(new.holder), leased_until = \(new.leasedUntil), failures = \(new.failures), next_attempt_at = \(new.nextAttemptAt),
                failing_since = \(new.failingSince), outage_announced = \(new.outageAnnounced), last_error = \(new.lastError)
            WHERE sink = \(old.sink) AND acknowledged = \(old.acknowledged) AND acknowledged_hash = \(Data(old.acknowledgedHash))
                AND holder IS NOT DISTINCT FROM \(old.holder)::text AND leased_until IS NOT DISTINCT FROM \(old.leasedUntil)::bigint
                AND failures = \(old.failures) AND next_attempt_at = \(old.nextAttemptAt)
                AND failing_since IS NOT DISTINCT FROM \(old.failingSince)::bigint AND outage_announced = \(old.outageAnnounced)
                AND last_error IS NOT DISTINCT FROM \(old.lastError)::text
            RETURNING 1
            """, logger: logger)) == 1
    }

    /// The hash of the record at `sequence`, if the log has it.
    static func recordHash(_ sequence: Int64, on connection: PostgresConnection, logger: Logger) async throws -> [UInt8]? {
        for try await hash in try await connection.query("SELECT hash FROM audit_events WHERE sequence = \(sequence)", logger: logger).decode(Data.self) {
            return Array(hash)
        }
        return nil
    }
}
