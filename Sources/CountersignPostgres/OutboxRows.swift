import CountersignCore
import CountersignStore
import Foundation
import Logging
import PostgresNIO

/// Outbox messages as rows; what the columns mean, and how they become domain values again, is
/// `StoredOutboxMessage`, shared with SQLite. Claiming locks the due rows it reads with `FOR
/// UPDATE SKIP LOCKED`: a second gateway claiming at the same moment passes over them to the
/// next due ones instead of waiting, and once the first commits it finds them claimed.
enum OutboxRows {
    static func insert(_ messages: [OutboxMessage], on connection: PostgresConnection, logger: Logger) async throws {
        for message in messages {
            let stored = try StoredOutboxMessage(message)
            try await connection.query("""
                INSERT INTO outbox_messages (\(unescaped: StoredOutboxMessage.columns))
                VALUES (\(stored.id), \(stored.channel), \(stored.noticeAction), \(stored.dedupKey), \(stored.summary), \(stored.severity),
                    \(stored.source), \(stored.component), \(stored.groupName), \(stored.eventClass), \(stored.link), \(stored.details),
                    \(stored.noticeTime), \(stored.createdAt), \(stored.state), \(stored.deliveredAt), \(stored.deadAt), \(stored.deadReason),
                    \(stored.attempts), \(stored.nextAttemptAt), \(stored.claimedUntil), \(stored.lastError))
                """, logger: logger)
        }
    }

    static func message(_ id: OutboxID, on connection: PostgresConnection, logger: Logger) async throws -> OutboxMessage? {
        try await fetch("SELECT \(unescaped: StoredOutboxMessage.columns) FROM outbox_messages WHERE id = \(id.rawValue)", on: connection, logger: logger).first
    }

    /// Pending messages due at `now` and held by nobody, the longest due first (ties by id, as
    /// on SQLite), locked until the transaction ends; rows another transaction holds are skipped.
    static func lockDue(at now: Date, limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> [OutboxMessage] {
        let now = now.millisecondsSinceEpoch
        return try await fetch("""
            SELECT \(unescaped: StoredOutboxMessage.columns) FROM outbox_messages AS due
            WHERE state = 'pending' AND next_attempt_at <= \(now) AND (claimed_until IS NULL OR claimed_until <= \(now))
              AND (notice_action <> 'resolve' OR NOT EXISTS (
                SELECT 1 FROM outbox_messages AS earlier WHERE earlier.state = 'pending' AND earlier.notice_action = 'trigger'
                  AND earlier.channel = due.channel AND earlier.dedup_key = due.dedup_key))
            ORDER BY next_attempt_at, id LIMIT \(Int64(limit))
            FOR UPDATE SKIP LOCKED
            """, on: connection, logger: logger)
    }

    /// The claim each message in `claimed` holds, in one statement.
    static func persistClaims(of claimed: [OutboxMessage], on connection: PostgresConnection, logger: Logger) async throws {
        let claims = claimed.compactMap { message in message.claimedUntil.map { (id: message.id.rawValue, claimedUntil: $0.millisecondsSinceEpoch) } }
        guard claims.count == claimed.count else { throw StoreError(.invalidChange, "a claimed outbox message must hold its claim") }
        guard !claims.isEmpty else { return }
        let updated = try await PostgresStore.count(connection.query("""
            UPDATE outbox_messages SET claimed_until = claim.claimed_until
            FROM unnest(\(claims.map(\.id))::text[], \(claims.map(\.claimedUntil))::bigint[]) AS claim (id, claimed_until)
            WHERE outbox_messages.id = claim.id AND outbox_messages.state = 'pending' RETURNING 1
            """, logger: logger))
        guard updated == claims.count else { throw StoreError(.notFound, "\(claims.count - updated) claimed outbox messages are no longer pending") }
    }

    /// Writes what an attempt made of `message` if it is still pending under the claim
    /// `claimedUntil`, compared by the statement itself (a claim taken over meanwhile has waited
    /// for the row's lock and is compared as it committed); whether it was.
    static func persistSettlement(of message: OutboxMessage, claimedUntil: Date, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let stored = try StoredOutboxMessage(message)
        let updated = try await PostgresStore.count(connection.query("""
            UPDATE outbox_messages SET state = \(stored.state), delivered_at = \(stored.deliveredAt), dead_at = \(stored.deadAt),
                dead_reason = \(stored.deadReason), attempts = \(stored.attempts), next_attempt_at = \(stored.nextAttemptAt),
                claimed_until = \(stored.claimedUntil), last_error = \(stored.lastError)
            WHERE id = \(stored.id) AND state = 'pending' AND claimed_until = \(claimedUntil.millisecondsSinceEpoch)
            RETURNING 1
            """, logger: logger))
        return updated == 1
    }

    /// Newest first, ties by id bytewise, as on SQLite. The cast types a filter that is absent
    /// (bound as NULL) for the server.
    static func messages(channel: ChannelName?, pendingOnly: Bool, limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> [OutboxMessage] {
        try await fetch("""
            SELECT \(unescaped: StoredOutboxMessage.columns) FROM outbox_messages
            WHERE (\(channel?.rawValue)::text IS NULL OR channel = \(channel?.rawValue)::text) AND (NOT \(pendingOnly) OR state = 'pending')
            ORDER BY created_at DESC, id DESC LIMIT \(Int64(limit))
            """, on: connection, logger: logger)
    }

    static func tally(on connection: PostgresConnection, logger: Logger) async throws -> [ChannelName: OutboxTally] {
        var rows: [(channel: String, state: String, count: Int64)] = []
        for try await row in try await connection.query(
            "SELECT channel, state, count(*) FROM outbox_messages WHERE state IN ('pending', 'dead') GROUP BY channel, state", logger: logger
        ) {
            let stored = StoredPostgresCells(row, table: "outbox_messages") { _ in "tally" }
            rows.append((try stored.value(at: 0, "channel"), try stored.value(at: 1, "state"), try stored.value(at: 2, "count")))
        }
        return try StoredOutboxMessage.tally(rows)
    }

    /// Messages selected by `query`, which must select `StoredOutboxMessage.columns` in their order.
    private static func fetch(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [OutboxMessage] {
        var messages: [OutboxMessage] = []
        for try await row in try await connection.query(query, logger: logger) {
            let stored = StoredPostgresCells(row, table: "outbox_messages") { StoredPostgresCells.text(at: 0, of: $0) }
            messages.append(try StoredOutboxMessage(
                id: try stored.value(at: 0, "id"), channel: try stored.value(at: 1, "channel"), noticeAction: try stored.value(at: 2, "notice_action"),
                dedupKey: try stored.value(at: 3, "dedup_key"), summary: try stored.value(at: 4, "summary"), severity: try stored.value(at: 5, "severity"),
                source: try stored.value(at: 6, "source"), component: try stored.value(at: 7, "component"),
                groupName: try stored.value(at: 8, "group_name"), eventClass: try stored.value(at: 9, "event_class"),
                link: try stored.value(at: 10, "link"), details: try stored.value(at: 11, "details"),
                noticeTime: try stored.value(at: 12, "notice_time"), createdAt: try stored.value(at: 13, "created_at"),
                state: try stored.value(at: 14, "state"), deliveredAt: try stored.value(at: 15, "delivered_at"),
                deadAt: try stored.value(at: 16, "dead_at"), deadReason: try stored.value(at: 17, "dead_reason"),
                attempts: try stored.value(at: 18, "attempts"), nextAttemptAt: try stored.value(at: 19, "next_attempt_at"),
                claimedUntil: try stored.value(at: 20, "claimed_until"), lastError: try stored.value(at: 21, "last_error")
            ).restore())
        }
        return messages
    }
}
