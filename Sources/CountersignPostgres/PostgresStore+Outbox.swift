import CountersignCore
import CountersignStore
import Foundation
import PostgresNIO

extension PostgresStore: OutboxStore {
    public func enqueue(_ messages: [OutboxMessage], events: [AuditEvent]) async throws {
        guard !messages.isEmpty || !events.isEmpty else { return }
        let appended = try await transaction { connection in
            try await OutboxRows.insert(messages, on: connection, logger: logger)
            return try await append(events, on: connection).count
        }
        auditTally.add(appended)
    }

    public func claimDueMessages(at now: Date, limit: Int) async throws -> [OutboxMessage] {
        guard limit > 0 else { return [] }
        // At the precision rows keep, so that the claim written is the one handed back.
        let now = now.truncatedToMilliseconds
        return try await transaction { connection in
            let claimed = try await OutboxRows.lockDue(at: now, limit: limit, on: connection, logger: logger)
                .filter { DeliveryRules.isDue($0, at: now) }
                .map { DeliveryRules.claim($0, at: now) }
            try await OutboxRows.persistClaims(of: claimed, on: connection, logger: logger)
            return claimed
        }
    }

    public func settle(_ attempts: [SettledAttempt]) async throws -> [Bool] {
        guard !attempts.isEmpty else { return [] }
        let (recorded, appended) = try await transaction { connection -> ([Bool], Int) in
            var recorded: [Bool] = []
            var appended = 0
            for attempt in attempts {
                guard try await OutboxRows.persistSettlement(of: attempt.settlement.message, claimedUntil: attempt.claimedUntil, on: connection, logger: logger) else {
                    recorded.append(false)
                    continue
                }
                try await OutboxRows.insert(attempt.enqueueing, on: connection, logger: logger)
                appended += try await append(attempt.settlement.events, on: connection).count
                recorded.append(true)
            }
            return (recorded, appended)
        }
        auditTally.add(appended)
        return recorded
    }

    public func outboxMessage(_ id: OutboxID) async throws -> OutboxMessage? {
        try await read { connection in try await OutboxRows.message(id, on: connection, logger: logger) }
    }

    public func outboxMessages(channel: ChannelName?, pendingOnly: Bool, limit: Int) async throws -> [OutboxMessage] {
        guard limit > 0 else { return [] }
        return try await read { connection in
            try await OutboxRows.messages(channel: channel, pendingOnly: pendingOnly, limit: limit, on: connection, logger: logger)
        }
    }

    public func outboxTally() async throws -> [ChannelName: OutboxTally] {
        try await read { connection in try await OutboxRows.tally(on: connection, logger: logger) }
    }
}
