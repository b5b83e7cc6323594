import CountersignCore
import CountersignStore
import Foundation
import PostgresNIO

extension PostgresStore: OutboxStore {
    public func enqueue(_ messages: [OutboxMessage]) async throws {
        guard !messages.isEmpty else { return }
        try await transaction { connection in try await OutboxRows.insert(messages, on: connection, logger: logger) }
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

    public func settle(_ settled: DeliveryRules.Settlement, claimedUntil: Date, enqueueing: [OutboxMessage]) async throws -> Bool {
        let (recorded, appended) = try await transaction { connection -> (Bool, Int) in
            guard try await OutboxRows.persistSettlement(of: settled.message, claimedUntil: claimedUntil, on: connection, logger: logger) else {
                return (false, 0)
            }
            try await OutboxRows.insert(enqueueing, on: connection, logger: logger)
            return (true, try await append(settled.events, on: connection).count)
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
