import CountersignCore
import Foundation

/// The notification outbox: messages committed with what caused them (a request change's
/// `notifications`, in its unit of work) and delivered afterwards by dispatchers, on every gateway
/// that shares the database. What is due and what an attempt makes of a message are
/// `DeliveryRules`; the store makes each step atomic and keeps two dispatchers off one message.
public protocol OutboxStore: Sendable {
    /// Messages not caused by a request change (a dead letter's announcements, a page about a
    /// refused break-glass), committed together with `events` (the refusal's audit row): all of
    /// them or none.
    func enqueue(_ messages: [OutboxMessage], events: [AuditEvent]) async throws

    /// Up to `limit` messages due at `now` (`DeliveryRules.isDue`), the longest due first, each
    /// claimed (`DeliveryRules.claim`) in the same transaction: no other dispatcher is handed one
    /// of them until its claim lapses. A resolve is not handed out while a trigger of its channel
    /// and dedup key is pending: PagerDuty drops a resolve for an incident it does not know, and
    /// the late trigger would then open one that nothing closes.
    func claimDueMessages(at now: Date, limit: Int) async throws -> [OutboxMessage]

    /// Attempts' ends, in one transaction (a dispatcher records what finished while its last commit
    /// was syncing together, one durable write for many deliveries): for each, in order, its
    /// settlement (as `DeliveryRules.settle` made it) replaces the message, its events are appended
    /// and its `enqueueing` committed, only if the message is still held under the claim
    /// `claimedUntil` (a dispatcher that overran its lease finds another one holds the message,
    /// and that attempt changes nothing). Whether each was recorded.
    func settle(_ attempts: [SettledAttempt]) async throws -> [Bool]

    func outboxMessage(_ id: OutboxID) async throws -> OutboxMessage?

    /// Messages newest first, at most `limit`, of one channel or all; only pending ones when asked.
    func outboxMessages(channel: ChannelName?, pendingOnly: Bool, limit: Int) async throws -> [OutboxMessage]

    /// How many messages wait and how many died, per channel: the metrics' figures.
    func outboxTally() async throws -> [ChannelName: OutboxTally]
}

extension OutboxStore {
    public func enqueue(_ messages: [OutboxMessage]) async throws {
        try await enqueue(messages, events: [])
    }

    /// One attempt's end (`settle(_:)` of one).
    public func settle(_ settled: DeliveryRules.Settlement, claimedUntil: Date, enqueueing: [OutboxMessage]) async throws -> Bool {
        try await settle([SettledAttempt(settled, claimedUntil: claimedUntil, enqueueing: enqueueing)]).first ?? false
    }
}

/// One delivery attempt's end, as a dispatcher hands it to the store.
public struct SettledAttempt: Sendable {
    public let settlement: DeliveryRules.Settlement
    /// The claim the dispatcher held the message under.
    public let claimedUntil: Date
    /// What the attempt causes (a dead letter's announcements).
    public let enqueueing: [OutboxMessage]

    public init(_ settlement: DeliveryRules.Settlement, claimedUntil: Date, enqueueing: [OutboxMessage]) {
        self.settlement = settlement
        self.claimedUntil = claimedUntil
        self.enqueueing = enqueueing
    }
}

public struct OutboxTally: Hashable, Sendable {
    public let pending: Int
    public let dead: Int

    public init(pending: Int, dead: Int) {
        self.pending = pending
        self.dead = dead
    }
}
