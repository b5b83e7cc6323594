import CountersignCore
import CountersignStore
import Foundation
import GRDB

/// Outbox messages as rows; what the columns mean, and how they become domain values again, is
/// `StoredOutboxMessage`, shared by every backend. Claims and settlements run inside the store's
/// write transaction, which SQLite gives one writer at a time: what a claim reads is what it
/// claims, for every connection to the file.
enum OutboxRows {
    static func insert(_ messages: [OutboxMessage], in db: Database) throws {
        for message in messages {
            let stored = try StoredOutboxMessage(message)
            try db.executeCached(
                sql: "INSERT INTO outbox_messages (\(StoredOutboxMessage.columns)) VALUES (\(StoredOutboxMessage.placeholders))",
                arguments: StatementArguments(values(of: stored))
            )
        }
    }

    static func message(_ id: OutboxID, in db: Database) throws -> OutboxMessage? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(StoredOutboxMessage.columns) FROM outbox_messages WHERE id = ?"), arguments: [id.rawValue]
        ).map(decode)
    }

    /// Pending messages due at `now` and held by nobody, the longest due first (ties by id, as
    /// on PostgreSQL): `DeliveryRules.isDue` as a query on the claiming index.
    static func due(at now: Date, limit: Int, in db: Database) throws -> [OutboxMessage] {
        try Row.fetchAll(
            db.cachedStatement(sql: """
                SELECT \(StoredOutboxMessage.columns) FROM outbox_messages AS due
                WHERE state = 'pending' AND next_attempt_at <= ?1 AND (claimed_until IS NULL OR claimed_until <= ?1)
                  AND (notice_action <> 'resolve' OR NOT EXISTS (
                    SELECT 1 FROM outbox_messages AS earlier WHERE earlier.state = 'pending' AND earlier.notice_action = 'trigger'
                      AND earlier.channel = due.channel AND earlier.dedup_key = due.dedup_key))
                ORDER BY next_attempt_at, id LIMIT ?2
                """),
            arguments: [now.millisecondsSinceEpoch, limit]
        ).map(decode)
    }

    static func persistClaim(of message: OutboxMessage, in db: Database) throws {
        try db.executeCached(
            sql: "UPDATE outbox_messages SET claimed_until = ? WHERE id = ? AND state = 'pending'",
            arguments: [message.claimedUntil?.millisecondsSinceEpoch, message.id.rawValue]
        )
        guard db.changesCount == 1 else { throw StoreError(.notFound, "no pending outbox message \(message.id)") }
    }

    /// Writes what an attempt made of `message` if it is still pending under the claim
    /// `claimedUntil`, compared by the statement itself; whether it was.
    static func persistSettlement(of message: OutboxMessage, claimedUntil: Date, in db: Database) throws -> Bool {
        let stored = try StoredOutboxMessage(message)
        try db.executeCached(
            sql: """
                UPDATE outbox_messages SET state = ?, delivered_at = ?, dead_at = ?, dead_reason = ?, attempts = ?, next_attempt_at = ?,
                    claimed_until = ?, last_error = ?
                WHERE id = ? AND state = 'pending' AND claimed_until = ?
                """,
            arguments: [
                stored.state, stored.deliveredAt, stored.deadAt, stored.deadReason, stored.attempts, stored.nextAttemptAt, stored.claimedUntil,
                stored.lastError, stored.id, claimedUntil.millisecondsSinceEpoch,
            ]
        )
        return db.changesCount == 1
    }

    static func messages(channel: ChannelName?, pendingOnly: Bool, limit: Int, in db: Database) throws -> [OutboxMessage] {
        try Row.fetchAll(
            db.cachedStatement(sql: """
                SELECT \(StoredOutboxMessage.columns) FROM outbox_messages
                WHERE (?1 IS NULL OR channel = ?1) AND (?2 = 0 OR state = 'pending')
                ORDER BY created_at DESC, id DESC LIMIT ?3
                """),
            arguments: [channel?.rawValue, pendingOnly, limit]
        ).map(decode)
    }

    static func tally(in db: Database) throws -> [ChannelName: OutboxTally] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT channel, state, count(*) FROM outbox_messages WHERE state IN ('pending', 'dead') GROUP BY channel, state
            """)).map { row throws(StoreError) in
            let stored = StoredRow(row: row, table: "outbox_messages", key: "tally")
            return (
                channel: try stored.value(at: 0, "channel", as: String.self), state: try stored.value(at: 1, "state", as: String.self),
                count: try stored.value(at: 2, "count", as: Int64.self)
            )
        }
        return try StoredOutboxMessage.tally(rows)
    }

    private static func values(of stored: StoredOutboxMessage) -> [(any DatabaseValueConvertible)?] {
        [
            stored.id, stored.channel, stored.noticeAction, stored.dedupKey, stored.summary, stored.severity, stored.source, stored.component,
            stored.groupName, stored.eventClass, stored.link, stored.details, stored.noticeTime, stored.createdAt, stored.state,
            stored.deliveredAt, stored.deadAt, stored.deadReason, stored.attempts, stored.nextAttemptAt, stored.claimedUntil, stored.lastError,
        ]
    }

    /// A row of `StoredOutboxMessage.columns`, read by position.
    private static func decode(_ row: Row) throws(StoreError) -> OutboxMessage {
        let stored = StoredRow(row: row, table: "outbox_messages", key: (try? row.decode(String.self, atIndex: 0)) ?? "?")
        return try StoredOutboxMessage(
            id: try stored.value(at: 0, "id"), channel: try stored.value(at: 1, "channel"), noticeAction: try stored.value(at: 2, "notice_action"),
            dedupKey: try stored.value(at: 3, "dedup_key"), summary: try stored.value(at: 4, "summary"), severity: try stored.value(at: 5, "severity"),
            source: try stored.value(at: 6, "source"), component: try stored.optionalValue(at: 7, "component"),
            groupName: try stored.optionalValue(at: 8, "group_name"), eventClass: try stored.value(at: 9, "event_class"),
            link: try stored.optionalValue(at: 10, "link"), details: try stored.value(at: 11, "details"),
            noticeTime: try stored.value(at: 12, "notice_time"), createdAt: try stored.value(at: 13, "created_at"),
            state: try stored.value(at: 14, "state"), deliveredAt: try stored.optionalValue(at: 15, "delivered_at"),
            deadAt: try stored.optionalValue(at: 16, "dead_at"), deadReason: try stored.optionalValue(at: 17, "dead_reason"),
            attempts: try stored.value(at: 18, "attempts"), nextAttemptAt: try stored.value(at: 19, "next_attempt_at"),
            claimedUntil: try stored.optionalValue(at: 20, "claimed_until"), lastError: try stored.optionalValue(at: 21, "last_error")
        ).restore()
    }
}
