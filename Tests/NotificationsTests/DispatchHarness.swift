import AsyncHTTPClient
import CountersignCore
import CountersignSQLite
import CountersignStore
import Foundation
import Logging
import Notifications
import Synchronization
import TestSupport

/// A dispatcher for one test over a real SQLite store in a fresh folder, with a manual clock, no
/// jitter (a retry waits half its backoff), and one real receiver on 127.0.0.1 per channel:
/// PagerDuty, Slack and a signed webhook.
struct DispatchHarness {
    typealias F = NoticeFixtures

    let directory: URL
    let store: SQLiteStore
    let claims: CountingOutboxStore
    let clock: ManualClock
    let client: HTTPClient
    let pager: HTTPReceiver
    let slack: HTTPReceiver
    let webhook: HTTPReceiver
    let dispatcher: OutboxDispatcher

    static func make(interval: Duration = .seconds(3600), extraSenders: [ChannelName: any ChannelSender] = [:]) async throws -> DispatchHarness {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dispatcher-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try SQLiteStore.open(path: directory.appendingPathComponent("gateway.sqlite").path)
        let claims = CountingOutboxStore(store)
        let clock = ManualClock(F.time)
        // Nothing here stalls: a generous timeout keeps a test starved of CPU by its neighbours
        // from taking a slow answer for none and sending twice.
        let client = HTTPChannelSender.makeClient(timeout: .seconds(30))
        let pager = try await HTTPReceiver.start()
        let slack = try await HTTPReceiver.start(answering: .status(200, body: "ok"))
        let webhook = try await HTTPReceiver.start(answering: .status(204))
        var senders = extraSenders
        for channel in [F.pager(eventsURL: pager.url("/v2/enqueue")), F.slack(base: slack.url("")), F.webhook(url: webhook.url("/hooks"))] {
            senders[channel.name] = HTTPChannelSender(channel: channel, client: client, clock: clock, timeout: .seconds(30))
        }
        var logger = Logger(label: "dispatcher-test")
        logger.logLevel = .critical
        let dispatcher = OutboxDispatcher(
            store: claims, senders: senders, clock: clock, settings: .init(interval: interval, batchSize: 16, source: F.source), logger: logger, jitter: { 0 }
        )
        return DispatchHarness(
            directory: directory, store: store, claims: claims, clock: clock, client: client, pager: pager, slack: slack, webhook: webhook, dispatcher: dispatcher
        )
    }

    func close() async throws {
        for receiver in [pager, slack, webhook] { await receiver.stop() }
        try await client.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Passes, the clock moved `step` before each, until one claims nothing, at most `limit`.
    @discardableResult
    func drain(step: TimeInterval, limit: Int = 50) async -> [OutboxDispatcher.Pass] {
        var passes: [OutboxDispatcher.Pass] = []
        for _ in 0..<limit {
            clock.advance(by: step)
            let pass = await dispatcher.dispatchDue()
            passes.append(pass)
            if pass.claimed == 0 { break }
        }
        return passes
    }

    func message(_ id: OutboxID) async throws -> OutboxMessage? {
        try await store.outboxMessage(id)
    }

    /// Every PagerDuty event received, as (event_action, dedup_key), in arrival order.
    func pagerEvents() throws -> [(action: String, dedupKey: String)] {
        try pager.received.map { received in
            let json = try F.json(received.body)
            return (json["event_action"] as? String ?? "", json["dedup_key"] as? String ?? "")
        }
    }
}

/// The store as the dispatcher sees it, counting its claims: a test can wait for a pass to have
/// happened without guessing how long one takes.
final class CountingOutboxStore: OutboxStore {
    let store: any OutboxStore
    private let count = Mutex(0)

    init(_ store: any OutboxStore) {
        self.store = store
    }

    var claimCount: Int { count.withLock { $0 } }

    func enqueue(_ messages: [OutboxMessage], events: [AuditEvent]) async throws { try await store.enqueue(messages, events: events) }

    func claimDueMessages(at now: Date, limit: Int) async throws -> [OutboxMessage] {
        defer { count.withLock { $0 += 1 } }
        return try await store.claimDueMessages(at: now, limit: limit)
    }

    func settle(_ attempts: [SettledAttempt]) async throws -> [Bool] {
        try await store.settle(attempts)
    }

    func outboxMessage(_ id: OutboxID) async throws -> OutboxMessage? { try await store.outboxMessage(id) }

    func outboxMessages(channel: ChannelName?, pendingOnly: Bool, limit: Int) async throws -> [OutboxMessage] {
        try await store.outboxMessages(channel: channel, pendingOnly: pendingOnly, limit: limit)
    }

    func outboxTally() async throws -> [ChannelName: OutboxTally] { try await store.outboxTally() }
}
