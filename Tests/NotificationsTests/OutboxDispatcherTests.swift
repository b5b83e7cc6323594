import CountersignCore
import CountersignStore
import Foundation
import Notifications
import Synchronization
import TestSupport
import Testing

/// The dispatcher end to end: the real SQLite store, real receivers on 127.0.0.1, a manual clock
/// for the delivery rules. Each test moves the clock itself and runs passes one at a time, except
/// the one of the run loop.
@Suite(.timeLimit(.minutes(3)))
struct OutboxDispatcherTests {
    typealias F = NoticeFixtures

    static func withHarness(_ body: (DispatchHarness) async throws -> Void) async throws {
        let harness = try await DispatchHarness.make()
        do {
            try await body(harness)
        } catch {
            try await harness.close()
            throw error
        }
        try await harness.close()
    }

    @Test func aReceiverDownThenBackGetsEveryPageExactlyOncePerDedupKeyTriggersBeforeResolves() async throws {
        try await Self.withHarness { harness in
            await harness.pager.stop()
            let triggers = (0..<6).map { F.message(F.page(dedupKey: "grant-\($0)"), createdAt: F.time.addingTimeInterval(-10)) }
            let resolves = (0..<3).map { F.message(F.page(.resolve, dedupKey: "grant-\($0)"), createdAt: F.time.addingTimeInterval(-5)) }
            try await harness.store.enqueue(triggers + resolves)
            // Down for a quarter of an hour: every attempt fails, none is lost.
            let down = await harness.drain(step: 30, limit: 30)
            #expect(down.reduce(0) { $0 + $1.retrying } > triggers.count)
            #expect(down.reduce(0) { $0 + $1.delivered + $1.died } == 0)
            #expect(harness.pager.received.isEmpty)
            try await harness.pager.restart()
            // Long enough steps for every retry and lapsed claim to be due at once.
            await harness.drain(step: DeliveryRules.maximumBackoff + DeliveryRules.claimLease)
            let events = try harness.pagerEvents()
            var seen: [String: Int] = [:]
            for event in events { seen["\(event.action) \(event.dedupKey)", default: 0] += 1 }
            #expect(seen == Dictionary(uniqueKeysWithValues: (0..<6).map { ("trigger grant-\($0)", 1) } + (0..<3).map { ("resolve grant-\($0)", 1) }))
            for key in (0..<3).map({ "grant-\($0)" }) {
                let order = events.filter { $0.dedupKey == key }.map(\.action)
                #expect(order == ["trigger", "resolve"], "\(key)")
            }
            for message in triggers + resolves {
                guard case .delivered = try #require(await harness.message(message.id)).state else {
                    Issue.record("\(message.id) was not delivered")
                    continue
                }
            }
        }
    }

    @Test func aThrottlingReceiverIsLeftAloneUntilItsRetryAfter() async throws {
        try await Self.withHarness { harness in
            harness.pager.script([.tooManyRequests(retryAfter: "120")])
            let page = F.message()
            try await harness.store.enqueue([page])
            #expect(await harness.dispatcher.dispatchDue().retrying == 1)
            let waiting = try #require(await harness.message(page.id))
            #expect(waiting.nextAttemptAt == F.time.addingTimeInterval(120))
            #expect(waiting.lastError == "oncall-pagerduty answered HTTP 429: slow down")
            harness.clock.advance(by: 119)
            #expect(await harness.dispatcher.dispatchDue().claimed == 0)
            #expect(harness.pager.received.count == 1)
            harness.clock.advance(by: 1)
            #expect(await harness.dispatcher.dispatchDue().delivered == 1)
            #expect(harness.pager.received.count == 2)
        }
    }

    @Test func aRefusedPageDiesIsAuditedAndIsAnnouncedOnEveryOtherChannel() async throws {
        try await Self.withHarness { harness in
            harness.pager.answer(.status(400, body: #"{"status":"invalid event"}"#))
            let page = F.message()
            try await harness.store.enqueue([page])
            let pass = await harness.dispatcher.dispatchDue()
            #expect(pass.died == 1)
            let dead = try #require(await harness.message(page.id))
            guard case .dead(_, let reason) = dead.state else {
                Issue.record("the page is not dead: \(dead.state)")
                return
            }
            #expect(reason == #"refused by the channel: oncall-pagerduty answered HTTP 400: {"status":"invalid event"}"#)
            let audit = try await harness.store.auditRecords(after: 0, limit: 100).map(\.event)
            let event = try #require(audit.first { $0.action == .notificationDeadLettered })
            #expect(event.subject == page.id.rawValue)
            #expect(event.details["channel"] == "oncall-pagerduty")
            #expect(event.details["dedup_key"] == "grant-7")
            // The announcements were committed with the death; the next pass sends them.
            #expect(await harness.dispatcher.dispatchDue().delivered == 2)
            #expect(harness.pager.received.count == 1)
            let slack = try #require(harness.slack.received.first)
            #expect(slack.text.contains("Countersign could not deliver a notification to oncall-pagerduty"))
            let webhook = try JSONDecoder().decode(WebhookNotice.self, from: Data(try #require(harness.webhook.received.first).body))
            #expect(webhook.eventClass == DeliveryRules.deadLetterClass)
            #expect(webhook.details["message"] == page.id.rawValue)
            #expect(webhook.details["channel"] == "oncall-pagerduty")
            #expect(try await harness.store.outboxTally()[F.pagerName] == OutboxTally(pending: 0, dead: 1))
        }
    }

    @Test func aMessageForAChannelNotConfiguredIsRefusedByNameAndAnnounced() async throws {
        try await Self.withHarness { harness in
            let retired = try ChannelName("retired-pager")
            let page = F.message(on: retired)
            try await harness.store.enqueue([page])
            #expect(await harness.dispatcher.dispatchDue().died == 1)
            guard case .dead(_, let reason) = try #require(await harness.message(page.id)).state else {
                Issue.record("not dead")
                return
            }
            #expect(reason == "refused by the channel: no channel named retired-pager is configured on this gateway")
            #expect(await harness.dispatcher.dispatchDue().delivered == 3)
        }
    }

    @Test func aTriggerThatFailsHoldsItsResolveBackUntilItIsDelivered() async throws {
        try await Self.withHarness { harness in
            harness.pager.script([.fail])
            let trigger = F.message(F.page(), createdAt: F.time.addingTimeInterval(-2))
            let resolve = F.message(F.page(.resolve), createdAt: F.time.addingTimeInterval(-1))
            try await harness.store.enqueue([resolve, trigger])
            let first = await harness.dispatcher.dispatchDue()
            #expect(first.claimed == 1, "the resolve is not handed out while its trigger is pending")
            #expect(first.retrying == 1)
            #expect(try harness.pagerEvents().map(\.action) == ["trigger"])
            #expect(try #require(await harness.message(resolve.id)).attempts == 0)
            harness.clock.advance(by: DeliveryRules.claimLease)
            #expect(await harness.dispatcher.dispatchDue().delivered == 1)
            #expect(await harness.dispatcher.dispatchDue().delivered == 1)
            #expect(try harness.pagerEvents().map(\.action) == ["trigger", "trigger", "resolve"])
        }
    }

    @Test func noMoreThanTheBoundAreSentAtOnce() async throws {
        let sender = GaugedSender()
        let name = try ChannelName("gauged")
        let harness = try await DispatchHarness.make(extraSenders: [name: sender])
        let messages = (0..<16).map { F.message(F.page(dedupKey: "grant-\($0)"), on: name) }
        try await harness.store.enqueue(messages)
        let pass = await harness.dispatcher.dispatchDue()
        try await harness.close()
        #expect(pass.delivered == 16)
        #expect(sender.mostAtOnce <= OutboxDispatcher.Settings(source: "").concurrency)
        #expect(sender.mostAtOnce > 1)
    }

    @Test func aPassTakesClaimAfterClaimWhileTheyComeBackFull() async throws {
        try await Self.withHarness { harness in
            // The harness claims 16 at a time: 40 due take three claims, the last one short.
            try await harness.store.enqueue((0..<40).map { F.message(F.page(dedupKey: "grant-\($0)")) })
            let pass = await harness.dispatcher.dispatchDue()
            #expect(pass.claimed == 40 && pass.delivered == 40, "\(pass)")
            #expect(harness.claims.claimCount == 3)
            #expect(Set(try harness.pagerEvents().map(\.dedupKey)) == Set((0..<40).map { "grant-\($0)" }))
            #expect(try await harness.store.outboxTally()[F.pagerName] == nil, "nothing pending, nothing dead")
        }
    }

    @Test func aDispatcherBeingStoppedClaimsNoMoreThanItHas() async throws {
        // A channel of its own, not HTTP: a cancelled send's half-made connection would race the
        // receivers' shutdown at the end of the test.
        let name = try ChannelName("gauged")
        let harness = try await DispatchHarness.make(extraSenders: [name: GaugedSender()])
        try await harness.store.enqueue((0..<40).map { F.message(F.page(dedupKey: "grant-\($0)"), on: name) })
        let stopped = Task { await harness.dispatcher.dispatchDue() }
        stopped.cancel()
        let pass = await stopped.value
        let claims = harness.claims.claimCount
        try await harness.close()
        #expect(pass.claimed == 16, "one claim, not the whole outbox: \(pass)")
        #expect(claims == 1)
        #expect(pass.delivered == 16 && pass.unrecorded == 0, "what it claimed, it sent and recorded")
    }

    @Test func wakeStartsAPassWithoutWaitingForTheInterval() async throws {
        try await Self.withHarness { harness in
            let running = Task { await harness.dispatcher.run() }
            defer { running.cancel() }
            // The pass the run starts with, on an empty outbox.
            try await Self.eventually { harness.claims.claimCount >= 1 }
            try await harness.store.enqueue([F.message()])
            harness.dispatcher.wake()
            // The interval is an hour: only the wake can have sent it.
            try await Self.eventually { harness.pager.received.count == 1 }
            running.cancel()
            await running.value
        }
    }

    /// Waits for `condition`, bounded generously so that a regression fails instead of hanging.
    static func eventually(_ condition: () -> Bool) async throws {
        for _ in 0..<600 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("the condition never held")
    }
}

/// A sender that delivers everything after a pause, counting how many sends overlap.
final class GaugedSender: ChannelSender {
    private let gauge = Mutex((now: 0, most: 0))

    var mostAtOnce: Int { gauge.withLock { $0.most } }

    func send(_ message: OutboxMessage) async -> DeliveryOutcome {
        gauge.withLock { state in
            state.now += 1
            state.most = max(state.most, state.now)
        }
        try? await Task.sleep(for: .milliseconds(20))
        gauge.withLock { $0.now -= 1 }
        return .delivered
    }
}
