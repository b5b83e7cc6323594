import CountersignCore
import CountersignStore
import Foundation
import Synchronization
import Testing

/// What every backend's outbox must do, against the protocols alone, given a fresh store: a
/// change's notifications commit with it or not at all; a claim hands out due, pending, unheld
/// messages, the longest due first, and never one another dispatcher holds; a settlement records
/// exactly what `DeliveryRules` decided, under the claim it was made with and no other; the
/// database itself refuses edits that move a message back or lose it; a damaged row is an error
/// naming it.
enum OutboxStoreContract {
    typealias Fixtures = ContractFixtures

    static let pager = try! ChannelName("oncall-pagerduty")
    static let slack = try! ChannelName("security-slack")
    static let source = "https://countersign.example"

    /// A page with every field of a notice set, details that need escaping among them.
    static func page(_ dedupKey: String, at now: Date) throws -> Notice {
        try Notice(
            action: .trigger, dedupKey: dedupKey, summary: "bob broke glass on db-1 as postgres", severity: .critical, source: source,
            component: "db-1.prod.example.com", group: "prod", eventClass: "break-glass",
            link: URL(string: "https://countersign.example/requests/\(dedupKey)"),
            details: ["user": "bob", "incident": "INC-123", "reason": "the \"primary\" is down\nfailing over"], time: now
        )
    }

    /// A notice with none of the optional fields.
    static func note(_ dedupKey: String, at now: Date) throws -> Notice {
        try Notice(action: .inform, dedupKey: dedupKey, summary: "a request waits for you", severity: .info, source: source, eventClass: "request", time: now)
    }

    static func message(
        on channel: ChannelName = pager, at now: Date, dueAt: Date? = nil, state: OutboxMessage.State = .pending, attempts: Int = 0,
        plain: Bool = false
    ) throws -> OutboxMessage {
        let dedupKey = "grant-\(UUID().uuidString.prefix(8).lowercased())"
        return OutboxMessage(
            id: .random(), channel: channel, notice: plain ? try note(dedupKey, at: now) : try page(dedupKey, at: now), createdAt: now,
            state: state, attempts: attempts, nextAttemptAt: dueAt
        )
    }

    /// The message `id` among `messages`, as a dispatcher holding them finds it.
    static func held(_ id: OutboxID, in messages: [OutboxMessage]) throws -> OutboxMessage {
        try #require(messages.first { $0.id == id })
    }

    static func claimOf(_ id: OutboxID, in messages: [OutboxMessage]) throws -> Date {
        try #require(try held(id, in: messages).claimedUntil)
    }

    // MARK: Units of work

    static func aChangeCommitsItsNotifications(_ store: some RequestStore & OutboxStore & AuditLog) async throws {
        let now = ManualClock().now()
        let creation = RequestRules.create(try Fixtures.deploy(at: now))
        let pages = [try message(on: pager, at: now), try message(on: slack, at: now, plain: true)]
        let request = try await store.createRequest(RequestChange(request: creation.request, events: creation.events, notifications: pages))
        for page in pages {
            #expect(try await store.outboxMessage(page.id) == page)
        }
        #expect(Set(try await store.outboxMessages(channel: nil, pendingOnly: true, limit: 10).map(\.id)) == Set(pages.map(\.id)))

        let decision = try message(on: slack, at: now)
        let carol = try Fixtures.actor("carol")
        _ = try await store.update(request.id, at: now) { current in
            let change = try RequestRules.apply(.approve(carol, method: .session), to: current, at: now)
            return RequestChange(request: change.request, events: change.events, notifications: [decision])
        }
        #expect(try await store.outboxMessage(decision.id) == decision)
        #expect(try await store.request(request.id)?.approvals.count == 1)
    }

    /// A change that fails after its request and first notification were written (the second
    /// notification's id is taken), and one whose audit append fails: neither leaves any of its
    /// notifications, nor its request; repaired, the same change commits whole.
    static func aFailingChangeCommitsNoneOfItsNotifications(
        _ store: some RequestStore & OutboxStore & AuditLog, breakAudit: () async throws -> Void, repairAudit: () async throws -> Void
    ) async throws {
        let now = ManualClock().now()
        let taken = try message(at: now)
        try await store.enqueue([taken])
        let creation = RequestRules.create(try Fixtures.deploy(at: now))
        let fresh = try message(on: slack, at: now)
        let clash = OutboxMessage(id: taken.id, channel: slack, notice: try note("other", at: now), createdAt: now)
        #expect(await Fixtures.refusalCode {
            _ = try await store.createRequest(RequestChange(request: creation.request, events: creation.events, notifications: [fresh, clash]))
        } == "already_exists")
        #expect(try await store.request(creation.request.id) == nil)
        #expect(try await store.outboxMessage(fresh.id) == nil)
        #expect(try await store.outboxMessage(taken.id) == taken)

        let counted = store.committedAuditEvents
        let page = try message(at: now)
        let paged = RequestChange(request: creation.request, events: creation.events, notifications: [page])
        try await breakAudit()
        #expect(await Fixtures.refusalCode { _ = try await store.createRequest(paged) } == "storage_failure")
        #expect(try await store.outboxMessage(page.id) == nil)
        #expect(try await store.request(creation.request.id) == nil)
        #expect(store.committedAuditEvents == counted)
        try await repairAudit()
        _ = try await store.createRequest(paged)
        #expect(try await store.outboxMessage(page.id) == page)
        #expect(try await store.outboxMessages(channel: nil, pendingOnly: false, limit: 10).count == 2)
    }

    // MARK: Claims

    static func claimsTakeDueMessagesLongestDueFirstUntilTheirLeaseLapses(_ store: some OutboxStore) async throws {
        let clock = ManualClock()
        let start = clock.now()
        let longest = try message(at: start.addingTimeInterval(-30))
        let older = try message(on: slack, at: start.addingTimeInterval(-10))
        let current = try message(at: start, plain: true)
        let later = try message(at: start, dueAt: start.addingTimeInterval(90))
        let delivered = try message(at: start.addingTimeInterval(-60), state: .delivered(at: start.addingTimeInterval(-50)), attempts: 1)
        let dead = try message(at: start.addingTimeInterval(-60), state: .dead(at: start.addingTimeInterval(-50), reason: "refused"), attempts: 1)
        try await store.enqueue([later, current, delivered, longest, dead, older])

        let first = try await store.claimDueMessages(at: start, limit: 2)
        #expect(first == [longest, older].map { DeliveryRules.claim($0, at: start) })
        #expect(try await store.outboxMessage(longest.id) == first.first, "the claim is stored")
        #expect(try await store.claimDueMessages(at: start, limit: 10) == [DeliveryRules.claim(current, at: start)])
        #expect(try await store.claimDueMessages(at: start, limit: 10).isEmpty, "a claimed message is not handed out again")
        #expect(try await store.claimDueMessages(at: start, limit: 0).isEmpty)

        clock.advance(by: DeliveryRules.claimLease - 1)
        #expect(try await store.claimDueMessages(at: clock.now(), limit: 10).isEmpty, "nor while its lease runs")
        clock.advance(by: 1)
        let retaken = try await store.claimDueMessages(at: clock.now(), limit: 10)
        #expect(retaken == [longest, older, current].map { DeliveryRules.claim($0, at: clock.now()) }, "a lapsed claim is taken over")
        clock.advance(by: 30)
        #expect(try await store.claimDueMessages(at: clock.now(), limit: 10) == [DeliveryRules.claim(later, at: clock.now())])
        #expect(try await store.outboxMessage(delivered.id) == delivered)
        #expect(try await store.outboxMessage(dead.id) == dead)
    }

    /// A resolve is not handed out while its trigger (same channel and dedup key) is pending,
    /// whatever their due times; one for another key or channel is.
    static func aResolveWaitsForItsTrigger(_ store: some OutboxStore) async throws {
        let clock = ManualClock()
        let start = clock.now()
        let trigger = try message(at: start, dueAt: start.addingTimeInterval(30), attempts: 1)
        let dedupKey = trigger.notice.dedupKey
        func resolve(on channel: ChannelName, key: String) throws -> OutboxMessage {
            OutboxMessage(id: .random(), channel: channel, notice: try Notice(
                action: .resolve, dedupKey: key, summary: "the grant ended", severity: .info, source: source, eventClass: "break-glass", time: start
            ), createdAt: start)
        }
        let held = try resolve(on: pager, key: dedupKey)
        let otherChannel = try resolve(on: slack, key: dedupKey)
        let otherKey = try resolve(on: pager, key: "grant-other")
        try await store.enqueue([trigger, held, otherChannel, otherKey])
        let first = try await store.claimDueMessages(at: start, limit: 10)
        #expect(Set(first.map(\.id)) == [otherChannel.id, otherKey.id], "the resolve does not overtake its trigger in backoff")

        clock.advance(by: 30)
        let retried = try await store.claimDueMessages(at: clock.now(), limit: 10)
        #expect(retried.map(\.id) == [trigger.id], "a trigger due with its resolve goes alone")
        let delivered = DeliveryRules.settle(try Self.held(trigger.id, in: retried), .delivered, at: clock.now(), jitter: 0.5)
        #expect(try await store.settle([SettledAttempt(delivered, claimedUntil: try claimOf(trigger.id, in: retried), enqueueing: [])]) == [true])
        #expect(try await store.claimDueMessages(at: clock.now(), limit: 10).map(\.id) == [held.id], "once the trigger is delivered, its resolve goes")
    }

    // MARK: Settlements

    /// Several attempts in one call, as a dispatcher's group commit makes it: each recorded or not
    /// on its own claim, in one transaction, with its events and announcements.
    static func attemptsSettleTogether(_ store: some OutboxStore & AuditLog) async throws {
        let clock = ManualClock()
        let start = clock.now()
        let (delivered, stale, refused) = (try message(at: start), try message(at: start), try message(on: slack, at: start))
        try await store.enqueue([delivered, stale, refused])
        let claimed = try await store.claimDueMessages(at: start, limit: 10)
        clock.advance(by: 1)
        let success = DeliveryRules.settle(try held(delivered.id, in: claimed), .delivered, at: clock.now(), jitter: 0.5)
        let late = DeliveryRules.settle(try held(stale.id, in: claimed), .delivered, at: clock.now(), jitter: 0.5)
        let refusal = DeliveryRules.settle(try held(refused.id, in: claimed), .rejected(reason: "400"), at: clock.now(), jitter: 0.5)
        let announcements = DeliveryRules.deadLetterNotices(for: refusal.message, on: [pager, slack], at: clock.now(), source: source)
        let recorded = try await store.settle([
            SettledAttempt(success, claimedUntil: try claimOf(delivered.id, in: claimed), enqueueing: []),
            SettledAttempt(late, claimedUntil: start, enqueueing: [try message(at: start)]),
            SettledAttempt(refusal, claimedUntil: try claimOf(refused.id, in: claimed), enqueueing: announcements),
        ])
        #expect(recorded == [true, false, true])
        #expect(try await store.outboxMessage(delivered.id) == success.message)
        #expect(try await store.outboxMessage(stale.id)?.state == .pending, "the attempt whose claim is not the one held changes nothing")
        #expect(try await store.outboxMessage(refused.id) == refusal.message)
        #expect(try await store.outboxMessage(try #require(announcements.first).id) == announcements.first)
        #expect(try await store.auditRecords(after: 0, limit: 100).map(\.event) == refusal.events)
        #expect(try await store.settle([]) == [])
    }

    static func settlementsRecordWhatTheRulesDecided(_ store: some OutboxStore & AuditLog) async throws {
        let clock = ManualClock()
        let start = clock.now()
        let (delivered, retried, refused) = (try message(at: start), try message(at: start), try message(on: slack, at: start))
        try await store.enqueue([delivered, retried, refused])
        let claimed = try await store.claimDueMessages(at: start, limit: 10)
        let counted = store.committedAuditEvents
        clock.advance(by: 1)

        let success = DeliveryRules.settle(try held(delivered.id, in: claimed), .delivered, at: clock.now(), jitter: 0.5)
        let claim = try claimOf(delivered.id, in: claimed)
        #expect(try await store.settle(success, claimedUntil: claim, enqueueing: []))
        #expect(try await store.outboxMessage(delivered.id) == success.message)
        #expect(success.message.state == .delivered(at: clock.now()) && success.message.attempts == 1)

        let retry = DeliveryRules.settle(try held(retried.id, in: claimed), .retryable(reason: "503 from the receiver", retryAfter: nil), at: clock.now(), jitter: 0.5)
        #expect(try await store.settle(retry, claimedUntil: try claimOf(retried.id, in: claimed), enqueueing: []))
        #expect(try await store.outboxMessage(retried.id) == retry.message)
        #expect(retry.message.nextAttemptAt == clock.now().addingTimeInterval(DeliveryRules.firstBackoff * 0.75) && retry.message.claimedUntil == nil)

        let refusal = DeliveryRules.settle(try held(refused.id, in: claimed), .rejected(reason: "400: invalid routing key"), at: clock.now(), jitter: 0.5)
        let announcements = DeliveryRules.deadLetterNotices(for: refusal.message, on: [pager, slack], at: clock.now(), source: source)
        #expect(refusal.died && announcements.map(\.channel) == [pager])
        #expect(try await store.settle(refusal, claimedUntil: try claimOf(refused.id, in: claimed), enqueueing: announcements))
        #expect(try await store.outboxMessage(refused.id) == refusal.message)
        #expect(try await store.outboxMessage(try #require(announcements.first).id) == announcements.first)
        #expect(try await store.auditRecords(after: 0, limit: 100).map(\.event) == refusal.events)
        #expect(store.committedAuditEvents == counted + 1)

        // Settled already: the same settlement again is refused and brings nothing with it.
        let extra = try message(at: clock.now())
        #expect(!(try await store.settle(success, claimedUntil: claim, enqueueing: [extra])))
        #expect(try await store.outboxMessage(extra.id) == nil)
        #expect(try await store.outboxMessage(delivered.id) == success.message)
    }

    /// A dispatcher that overran its lease: another one took the message over, and the first
    /// one's settlement changes nothing (no state, no event, no announcement), while the second
    /// one's is recorded, a receiver's Retry-After honoured.
    static func aStaleClaimSettlesNothing(_ store: some OutboxStore & AuditLog) async throws {
        let clock = ManualClock()
        let message = try message(at: clock.now())
        try await store.enqueue([message])
        let first = try #require(try await store.claimDueMessages(at: clock.now(), limit: 1).first)
        clock.advance(by: DeliveryRules.claimLease)
        let second = try #require(try await store.claimDueMessages(at: clock.now(), limit: 1).first)
        #expect(second.id == message.id && second.claimedUntil != first.claimedUntil)

        let late = DeliveryRules.settle(first, .rejected(reason: "410 gone"), at: clock.now(), jitter: 0)
        let announcement = try OutboxStoreContract.message(on: slack, at: clock.now())
        #expect(!(try await store.settle(late, claimedUntil: try #require(first.claimedUntil), enqueueing: [announcement])))
        #expect(try await store.outboxMessage(message.id) == second)
        #expect(try await store.outboxMessage(announcement.id) == nil)
        #expect(try await store.auditRecords(after: 0, limit: 10).isEmpty)

        let throttled = DeliveryRules.settle(second, .retryable(reason: "429", retryAfter: 30), at: clock.now(), jitter: 0)
        #expect(try await store.settle(throttled, claimedUntil: try #require(second.claimedUntil), enqueueing: []))
        clock.advance(by: 29)
        #expect(try await store.claimDueMessages(at: clock.now(), limit: 1).isEmpty, "the receiver's Retry-After is kept")
        clock.advance(by: 1)
        let third = try #require(try await store.claimDueMessages(at: clock.now(), limit: 1).first)
        let done = DeliveryRules.settle(third, .delivered, at: clock.now(), jitter: 0)
        #expect(try await store.settle(done, claimedUntil: try #require(third.claimedUntil), enqueueing: []))
        #expect(try await store.outboxMessage(message.id) == done.message)
        #expect(done.message.attempts == 2, "the overrun attempt was never recorded")
    }

    // MARK: Figures and listings

    static func tallyAndListingCountAndOrderMessages(_ store: some OutboxStore) async throws {
        let now = ManualClock().now()
        #expect(try await store.outboxTally().isEmpty)
        let delivered = try message(at: now.addingTimeInterval(-4), state: .delivered(at: now), attempts: 1)
        let dead = try message(at: now.addingTimeInterval(-3), state: .dead(at: now, reason: "gave up"), attempts: 25)
        let olderPending = try message(at: now.addingTimeInterval(-2))
        let newerPending = try message(at: now.addingTimeInterval(-1))
        let slackPending = try message(on: slack, at: now, plain: true)
        try await store.enqueue([olderPending, slackPending, dead, delivered, newerPending])

        #expect(try await store.outboxTally() == [pager: OutboxTally(pending: 2, dead: 1), slack: OutboxTally(pending: 1, dead: 0)])
        #expect(try await store.outboxMessages(channel: nil, pendingOnly: false, limit: 10) == [slackPending, newerPending, olderPending, dead, delivered])
        #expect(try await store.outboxMessages(channel: pager, pendingOnly: true, limit: 10) == [newerPending, olderPending])
        #expect(try await store.outboxMessages(channel: pager, pendingOnly: false, limit: 3) == [newerPending, olderPending, dead])
        #expect(try await store.outboxMessages(channel: nil, pendingOnly: true, limit: 1) == [slackPending])
        #expect(try await store.outboxMessages(channel: try ChannelName("nobody"), pendingOnly: false, limit: 10).isEmpty)
        #expect(try await store.outboxMessages(channel: nil, pendingOnly: false, limit: 0).isEmpty)
        #expect(try await store.outboxMessage(.random()) == nil)
    }

    // MARK: Two dispatchers

    /// What the dispatchers of a concurrency run saw: every message handed out, those held now,
    /// how often one was handed out while another dispatcher held it, and those delivered.
    final class Deliveries: Sendable {
        struct Seen {
            var handedOut: [OutboxID] = []
            var held: Set<OutboxID> = []
            var overlaps = 0
            var delivered: [OutboxID] = []
        }

        let seen = Mutex(Seen())
    }

    /// Dispatchers on every store claim in a loop, a few messages at a time, under one clock that
    /// never moves: no lease lapses, so a message handed out twice, at once or one after the
    /// other, would be a claim that failed to keep another dispatcher off it.
    static func concurrentClaimsHandEachMessageOutOnce(_ stores: [some OutboxStore]) async throws {
        let now = ManualClock().now()
        let messages = try (0..<40).map { index in
            try message(on: index.isMultiple(of: 2) ? pager : slack, at: now.addingTimeInterval(-Double(index)))
        }
        try await stores[0].enqueue(messages)
        let deliveries = Deliveries()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for store in stores {
                for _ in 0..<3 {
                    group.addTask {
                        while true {
                            let claimed = try await store.claimDueMessages(at: now, limit: 3)
                            if claimed.isEmpty { return }
                            deliveries.seen.withLock { seen in
                                for message in claimed {
                                    seen.handedOut.append(message.id)
                                    if !seen.held.insert(message.id).inserted { seen.overlaps += 1 }
                                }
                            }
                            for message in claimed {
                                let claim = try #require(message.claimedUntil)
                                let recorded = try await store.settle(DeliveryRules.settle(message, .delivered, at: now, jitter: 0), claimedUntil: claim, enqueueing: [])
                                deliveries.seen.withLock { seen in
                                    seen.held.remove(message.id)
                                    if recorded { seen.delivered.append(message.id) }
                                }
                            }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let seen = deliveries.seen.withLock { $0 }
        #expect(seen.overlaps == 0)
        #expect(seen.handedOut.sorted() == messages.map(\.id).sorted(), "each message handed out exactly once")
        #expect(seen.delivered.sorted() == messages.map(\.id).sorted(), "each message delivered exactly once")
        for message in messages {
            let stored = try await stores[0].outboxMessage(message.id)
            #expect(stored?.state == .delivered(at: now) && stored?.attempts == 1)
        }
        #expect(try await stores[0].outboxTally().isEmpty)
    }

    // MARK: The database's own guard

    /// `execute` runs SQL behind the store's back, as an operator's shell would; the database
    /// refuses to delete a message, to move one back or rewrite what it says, to touch a settled
    /// one, or to lose an attempt, and still lets a pending one move forward.
    static func rawEditsCannotMoveAMessageBackOrLoseIt(_ store: some OutboxStore, execute: (String) async throws -> Void) async throws {
        let now = ManualClock().now()
        let pending = OutboxMessage(id: .random(), channel: pager, notice: try page("pending", at: now), createdAt: now, attempts: 2, lastError: "503")
        let delivered = try message(at: now, state: .delivered(at: now), attempts: 1)
        let dead = try message(at: now, state: .dead(at: now, reason: "refused by the channel: 400"), attempts: 1)
        try await store.enqueue([pending, delivered, dead])
        let (p, d, x) = ("'\(pending.id)'", "'\(delivered.id)'", "'\(dead.id)'")
        for sql in [
            "DELETE FROM outbox_messages WHERE id = \(p)",
            "DELETE FROM outbox_messages",
            "UPDATE outbox_messages SET state = 'pending', delivered_at = NULL WHERE id = \(d)",
            "UPDATE outbox_messages SET state = 'pending', dead_at = NULL, dead_reason = NULL WHERE id = \(x)",
            "UPDATE outbox_messages SET state = 'dead', delivered_at = NULL, dead_at = 1, dead_reason = 'x' WHERE id = \(d)",
            "UPDATE outbox_messages SET last_error = 'rewritten' WHERE id = \(d)",
            "UPDATE outbox_messages SET next_attempt_at = 0 WHERE id = \(x)",
            "UPDATE outbox_messages SET attempts = 1 WHERE id = \(p)",
            "UPDATE outbox_messages SET summary = 'forged' WHERE id = \(p)",
            "UPDATE outbox_messages SET channel = 'elsewhere' WHERE id = \(p)",
            "UPDATE outbox_messages SET details = '{}' WHERE id = \(p)",
            "UPDATE outbox_messages SET link = NULL WHERE id = \(p)",
            "UPDATE outbox_messages SET created_at = 0 WHERE id = \(p)",
            "UPDATE outbox_messages SET state = 'sent' WHERE id = \(p)",
            "UPDATE outbox_messages SET state = 'delivered' WHERE id = \(p)",
            "UPDATE outbox_messages SET attempts = -1 WHERE id = \(p)",
            "INSERT INTO outbox_messages (\(StoredOutboxMessage.columns)) VALUES (\(rawValues(id: "'\(pending.id)'")))",
        ] {
            await #expect(throws: (any Error).self, "\(sql)") { try await execute(sql) }
        }
        #expect(try await store.outboxMessage(pending.id) == pending)
        #expect(try await store.outboxMessage(delivered.id) == delivered)
        #expect(try await store.outboxMessage(dead.id) == dead)

        try await execute("UPDATE outbox_messages SET attempts = 3, state = 'dead', dead_at = 5, dead_reason = 'given up by hand' WHERE id = \(p)")
        #expect(try await store.outboxMessage(pending.id)?.state == .dead(at: Date(millisecondsSinceEpoch: 5), reason: "given up by hand"))
    }

    /// The values of a raw row of `StoredOutboxMessage.columns`, pending and well formed but for
    /// what the arguments put in.
    static func rawValues(id: String, details: String = "'{}'", attempts: String = "0") -> String {
        "\(id), 'oncall-pagerduty', 'trigger', 'k', 'a summary', 'critical', 'src', NULL, NULL, 'break-glass', NULL, \(details), 1, 1, 'pending', NULL, NULL, NULL, \(attempts), 1, NULL, NULL"
    }

    struct Damage: CustomTestStringConvertible, Sendable {
        let testDescription: String
        /// The row's id, whether or not it is an outbox id.
        let id: String
        let details: String
        let attempts: String

        init(_ description: String, id: String = OutboxID.random().rawValue, details: String = "'{}'", attempts: String = "0") {
            testDescription = description
            self.id = id
            self.details = details
            self.attempts = attempts
        }
    }

    /// Rows the CHECKs let through but the domain refuses.
    static let damages = [
        Damage("an id that is not an outbox id", id: "ABCDEFGHIJKLMNOPQRST"),
        Damage("details that are not all strings", details: #"'{"user": 1}'"#),
        Damage("details with a key twice", details: #"'{"user": "bob", "user": "mallory"}'"#),
        Damage("details past the bound a read walks", details: "'{\"padding\": \"\(String(repeating: "x", count: 70_000))\"}'"),
        Damage("more attempts than any count", attempts: "99999999999"),
    ]

    /// A row damaged behind the store's back is a `corrupt_row` naming it, wherever it is read;
    /// the messages beside it still read.
    static func aDamagedRowReadsAsAStoreError(_ damage: Damage, _ store: some OutboxStore, execute: (String) async throws -> Void) async throws {
        let now = ManualClock().now()
        let healthy = try message(at: now)
        try await store.enqueue([healthy])
        try await execute("INSERT INTO outbox_messages (\(StoredOutboxMessage.columns)) VALUES (\(rawValues(id: "'\(damage.id)'", details: damage.details, attempts: damage.attempts)))")
        func refusal(_ body: () async throws -> Void) async -> String? {
            do {
                try await body()
                return nil
            } catch let error as StoreError where error.code == .corruptRow {
                return error.message
            } catch {
                return "\(error)"
            }
        }
        let named = "outbox_messages row \(damage.id) is damaged"
        #expect(await refusal { _ = try await store.outboxMessages(channel: nil, pendingOnly: false, limit: 10) }?.hasPrefix(named) == true)
        #expect(await refusal { _ = try await store.claimDueMessages(at: now, limit: 10) }?.hasPrefix(named) == true)
        if let id = try? OutboxID(damage.id) {
            #expect(await refusal { _ = try await store.outboxMessage(id) }?.hasPrefix(named) == true)
        }
        #expect(try await store.outboxMessage(healthy.id) == healthy)
    }
}
