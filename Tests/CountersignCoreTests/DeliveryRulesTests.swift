import Foundation
import Testing
@testable import CountersignCore

/// Delivering the outbox: which messages are due, the claim, and what each attempt's outcome makes
/// of a message, under an injected time (offsets in seconds) and an injected jitter.
@Suite("Delivery rules")
struct DeliveryRulesTests {
    static let created = Date(timeIntervalSince1970: 1_800_000_000)
    static func at(_ offset: TimeInterval) -> Date { created.addingTimeInterval(offset) }
    static let pagerDuty = try! ChannelName("oncall-pagerduty")
    static let slack = try! ChannelName("security-slack")
    static let webhook = try! ChannelName("siem")

    static func notice(class eventClass: String = "break-glass") throws -> Notice {
        try Notice(
            action: .trigger, dedupKey: "grant-1", summary: "bob broke glass on db-1 as postgres", severity: .critical,
            source: "https://countersign.example.com", eventClass: eventClass, time: created
        )
    }

    static func message(attempts: Int = 0, state: OutboxMessage.State = .pending, next: TimeInterval = 0, claimedUntil: TimeInterval? = nil, class eventClass: String = "break-glass") throws -> OutboxMessage {
        OutboxMessage(
            id: .random(), channel: pagerDuty, notice: try notice(class: eventClass), createdAt: created, state: state, attempts: attempts,
            nextAttemptAt: at(next), claimedUntil: claimedUntil.map(at)
        )
    }

    struct DueCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let message: OutboxMessage
        let now: TimeInterval
        let due: Bool
    }

    static let dueCases: [DueCase] = [
        DueCase(testDescription: "pending and due", message: try! message(), now: 0, due: true),
        DueCase(testDescription: "pending, its next attempt still ahead", message: try! message(next: 10), now: 9.999, due: false),
        DueCase(testDescription: "pending, its next attempt reached", message: try! message(next: 10), now: 10, due: true),
        DueCase(testDescription: "held by a dispatcher", message: try! message(claimedUntil: 60), now: 30, due: false),
        DueCase(testDescription: "its claim lapsed: the dispatcher died mid-send", message: try! message(claimedUntil: 60), now: 60, due: true),
        DueCase(testDescription: "delivered", message: try! message(state: .delivered(at: at(1))), now: 100, due: false),
        DueCase(testDescription: "dead", message: try! message(state: .dead(at: at(1), reason: "400")), now: 100, due: false),
    ]

    @Test("due", arguments: dueCases)
    func due(_ row: DueCase) {
        #expect(DeliveryRules.isDue(row.message, at: Self.at(row.now)) == row.due)
    }

    @Test("a claim holds the message for the lease and is due again after it")
    func claim() throws {
        let claimed = DeliveryRules.claim(try Self.message(), at: Self.at(5))
        #expect(claimed.claimedUntil == Self.at(5 + DeliveryRules.claimLease))
        #expect(!DeliveryRules.isDue(claimed, at: Self.at(5 + DeliveryRules.claimLease - 0.001)))
        #expect(DeliveryRules.isDue(claimed, at: Self.at(5 + DeliveryRules.claimLease)))
    }

    struct SettleCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let attemptsBefore: Int
        let outcome: DeliveryOutcome
        let jitter: Double
        /// "delivered", "dead", or the wait in seconds before the next attempt.
        let expected: String
    }

    static let settleCases: [SettleCase] = [
        SettleCase(testDescription: "delivered", attemptsBefore: 0, outcome: .delivered, jitter: 0.3, expected: "delivered"),
        SettleCase(testDescription: "a first failure waits between 1 and 2 s (no jitter: 1)", attemptsBefore: 0, outcome: .retryable(reason: "500", retryAfter: nil), jitter: 0, expected: "1.0"),
        SettleCase(testDescription: "a first failure, full jitter: 2 s", attemptsBefore: 0, outcome: .retryable(reason: "500", retryAfter: nil), jitter: 1, expected: "2.0"),
        SettleCase(testDescription: "the fourth failure: 16 s halved and spread", attemptsBefore: 3, outcome: .retryable(reason: "timeout", retryAfter: nil), jitter: 0.5, expected: "12.0"),
        SettleCase(testDescription: "the backoff stops growing at 10 minutes", attemptsBefore: 20, outcome: .retryable(reason: "500", retryAfter: nil), jitter: 1, expected: "600.0"),
        SettleCase(testDescription: "a jitter out of range is held to it", attemptsBefore: 0, outcome: .retryable(reason: "500", retryAfter: nil), jitter: 7, expected: "2.0"),
        SettleCase(testDescription: "429 with a Retry-After longer than the backoff is honoured", attemptsBefore: 0, outcome: .retryable(reason: "429", retryAfter: 30), jitter: 1, expected: "30.0"),
        SettleCase(testDescription: "a Retry-After shorter than the backoff does not hurry it", attemptsBefore: 5, outcome: .retryable(reason: "429", retryAfter: 1), jitter: 0, expected: "32.0"),
        SettleCase(testDescription: "an absurd Retry-After is held to an hour", attemptsBefore: 0, outcome: .retryable(reason: "429", retryAfter: 1e12), jitter: 0, expected: "3600.0"),
        SettleCase(testDescription: "a negative Retry-After counts as none", attemptsBefore: 0, outcome: .retryable(reason: "429", retryAfter: -5), jitter: 0, expected: "1.0"),
        SettleCase(testDescription: "another 4xx: dead at once, no retry", attemptsBefore: 0, outcome: .rejected(reason: "400 invalid routing key"), jitter: 0, expected: "dead"),
        SettleCase(testDescription: "the last attempt failing: dead", attemptsBefore: DeliveryRules.maximumAttempts - 1, outcome: .retryable(reason: "500", retryAfter: nil), jitter: 0, expected: "dead"),
        SettleCase(testDescription: "the attempt before the last failing: retried", attemptsBefore: DeliveryRules.maximumAttempts - 2, outcome: .retryable(reason: "500", retryAfter: nil), jitter: 1, expected: "600.0"),
    ]

    @Test("settle", arguments: settleCases)
    func settle(_ row: SettleCase) throws {
        let claimed = DeliveryRules.claim(try Self.message(attempts: row.attemptsBefore), at: Self.at(100))
        let settlement = DeliveryRules.settle(claimed, row.outcome, at: Self.at(101), jitter: row.jitter)
        let settled = settlement.message
        #expect(settled.attempts == row.attemptsBefore + 1 && settled.claimedUntil == nil)
        switch (row.expected, settled.state) {
        case ("delivered", .delivered(let at)):
            #expect(at == Self.at(101) && !settlement.died && settled.lastError == nil && settlement.events.isEmpty)
        case ("dead", .dead(let at, let reason)):
            #expect(at == Self.at(101) && settlement.died && !reason.isEmpty)
            #expect(settlement.events.map(\.action) == [.notificationDeadLettered])
            #expect(settlement.events.first?.details["channel"] == Self.pagerDuty.rawValue)
        case (let wait, .pending):
            #expect(settled.nextAttemptAt.timeIntervalSince(Self.at(101)) == Double(wait), "waits \(settled.nextAttemptAt.timeIntervalSince(Self.at(101)))")
            #expect(!settlement.died && settled.lastError != nil && settlement.events.isEmpty)
        default:
            Issue.record("expected \(row.expected), got \(settled.state)")
        }
    }

    @Test("a settled message moves no further: a late outcome for a delivered or dead one changes nothing")
    func finalStates() throws {
        for state: OutboxMessage.State in [.delivered(at: Self.at(1)), .dead(at: Self.at(1), reason: "400")] {
            let message = try Self.message(attempts: 1, state: state)
            #expect(DeliveryRules.settle(message, .retryable(reason: "500", retryAfter: nil), at: Self.at(5), jitter: 0) == DeliveryRules.Settlement(message: message, died: false))
        }
    }

    @Test("a dead message is announced on every other channel, once per channel, with what died and why")
    func deadLetters() throws {
        let dead = DeliveryRules.settle(try Self.message(), .rejected(reason: "400 invalid routing key"), at: Self.at(3), jitter: 0).message
        let notices = DeliveryRules.deadLetterNotices(for: dead, on: [Self.pagerDuty, Self.slack, Self.webhook], at: Self.at(3), source: "https://countersign.example.com")
        #expect(notices.map(\.channel) == [Self.slack, Self.webhook])
        #expect(Set(notices.map(\.id)).count == 2)
        for notice in notices.map(\.notice) {
            #expect(notice.eventClass == DeliveryRules.deadLetterClass && notice.severity == .error && notice.dedupKey == "dead-letter:\(dead.id)")
            #expect(notice.summary.contains("oncall-pagerduty") && notice.summary.contains("bob broke glass"))
            #expect(notice.details["reason"]?.contains("invalid routing key") == true && notice.details["dedup_key"] == "grant-1")
        }
        #expect(DeliveryRules.deadLetterNotices(for: try Self.message(), on: [Self.slack], at: Self.at(3), source: "s").isEmpty, "only dead messages")
        let deadAnnouncement = DeliveryRules.settle(try Self.message(class: DeliveryRules.deadLetterClass), .rejected(reason: "400"), at: Self.at(4), jitter: 0).message
        #expect(DeliveryRules.deadLetterNotices(for: deadAnnouncement, on: [Self.slack], at: Self.at(4), source: "s").isEmpty, "an announcement's death is not announced")
    }

    @Test("notices and channel names are bounded, with typed refusals")
    func bounds() {
        for bad in ["", "-oncall", "OnCall", "on call", "on_call", String(repeating: "a", count: 64), "é"] {
            #expect((try? ChannelName(bad)) == nil, "\(bad)")
        }
        #expect((try? ChannelName(String(repeating: "a", count: 63))) != nil)
        let time = Self.created
        #expect(throws: DomainError.self) { try Notice(action: .inform, dedupKey: "", summary: "s", severity: .info, source: "s", eventClass: "c", time: time) }
        #expect(throws: DomainError.self) { try Notice(action: .inform, dedupKey: String(repeating: "k", count: 256), summary: "s", severity: .info, source: "s", eventClass: "c", time: time) }
        #expect(throws: DomainError.self) { try Notice(action: .inform, dedupKey: "k", summary: "", severity: .info, source: "s", eventClass: "c", time: time) }
        #expect(throws: DomainError.self) { try Notice(action: .inform, dedupKey: "k", summary: String(repeating: "s", count: 1025), severity: .info, source: "s", eventClass: "c", time: time) }
        let many = Dictionary(uniqueKeysWithValues: (0...Notice.maximumDetails).map { ("k\($0)", "v") })
        #expect(throws: DomainError.self) { try Notice(action: .inform, dedupKey: "k", summary: "s", severity: .info, source: "s", eventClass: "c", details: many, time: time) }
    }
}
