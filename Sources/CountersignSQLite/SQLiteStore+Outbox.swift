import CountersignCore
import CountersignStore
import Foundation
import GRDB

extension SQLiteStore {
    public func enqueue(_ messages: [OutboxMessage], events: [AuditEvent]) async throws {
        guard !messages.isEmpty || !events.isEmpty else { return }
        try await write { db in
            try OutboxRows.insert(messages, in: db)
            _ = try appendAudit(events, in: db)
        }
    }

    public func claimDueMessages(at now: Date, limit: Int) async throws -> [OutboxMessage] {
        guard limit > 0 else { return [] }
        // At the precision rows keep, so that the claim written is the one handed back.
        let now = now.truncatedToMilliseconds
        return try await write { db in
            let claimed = try OutboxRows.due(at: now, limit: limit, in: db)
                .filter { DeliveryRules.isDue($0, at: now) }
                .map { DeliveryRules.claim($0, at: now) }
            for message in claimed {
                try OutboxRows.persistClaim(of: message, in: db)
            }
            return claimed
        }
    }

    public func settle(_ attempts: [SettledAttempt]) async throws -> [Bool] {
        guard !attempts.isEmpty else { return [] }
        return try await write { db in
            try attempts.map { attempt in
                guard try OutboxRows.persistSettlement(of: attempt.settlement.message, claimedUntil: attempt.claimedUntil, in: db) else { return false }
                try OutboxRows.insert(attempt.enqueueing, in: db)
                _ = try appendAudit(attempt.settlement.events, in: db)
                return true
            }
        }
    }

    public func outboxMessage(_ id: OutboxID) async throws -> OutboxMessage? {
        try await read { db in try OutboxRows.message(id, in: db) }
    }

    public func outboxMessages(channel: ChannelName?, pendingOnly: Bool, limit: Int) async throws -> [OutboxMessage] {
        guard limit > 0 else { return [] }
        return try await read { db in try OutboxRows.messages(channel: channel, pendingOnly: pendingOnly, limit: limit, in: db) }
    }

    public func outboxTally() async throws -> [ChannelName: OutboxTally] {
        try await read { db in try OutboxRows.tally(in: db) }
    }
}
