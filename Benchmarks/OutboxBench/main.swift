import AsyncHTTPClient
import CountersignCore
import CountersignSQLite
import CountersignStore
import Foundation
import Logging
import NIOCore
import Notifications

/// The outbox dispatcher's sustained deliveries per second to a local webhook receiver beside a
/// plain POST loop to the same receiver: the same client settings (`HTTPChannelSender.makeClient`),
/// the same 8 in flight, the same signed bodies. The dispatcher runs as countersignd runs it
/// (default settings, a real SQLiteStore at full durability, one file per round); the two
/// alternate in rounds and the median ratio is reported. Then the time from an enqueue's commit to
/// the receiver's answer for one message at a time, with the dispatcher woken, beside one plain
/// POST's round trip. Usage: countersign-bench-outbox RECEIVER_URL [messages] [rounds] [samples]
/// [full|normal] (normal only to see what the commits' syncs cost; countersignd defaults to full).
let arguments = CommandLine.arguments
guard let receiverText = arguments.dropFirst().first, let receiver = URL(string: receiverText) else {
    FileHandle.standardError.write(Data("usage: countersign-bench-outbox RECEIVER_URL [messages] [rounds] [latency samples] [full|normal]\n".utf8))
    exit(2)
}
let messageCount = max(100, Int(arguments.dropFirst(2).first ?? "") ?? 20_000)
let rounds = max(1, Int(arguments.dropFirst(3).first ?? "") ?? 3)
let samples = max(10, Int(arguments.dropFirst(4).first ?? "") ?? 200)
let durability = SQLiteDurability(rawValue: arguments.dropFirst(5).first ?? "full") ?? .full
let concurrency = OutboxDispatcher.Settings(source: "").concurrency
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-bench-outbox-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }

let logger = {
    var logger = Logger(label: "countersign-bench-outbox")
    logger.logLevel = .warning
    return logger
}()
let clock = SystemClock()
let channelName = try ChannelName("bench-hook")
let channel = NotificationChannel(name: channelName, destination: .webhook(url: receiver, secret: ChannelSecret("bench-webhook-secret-0123456789")))
let client = HTTPChannelSender.makeClient()
let source = "https://countersign.example"

func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

func percentile(_ values: [Double], _ fraction: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
}

/// A break-glass page as the core makes one: its own dedup key, so no message waits behind another.
func page(_ index: Int) throws -> OutboxMessage {
    let now = clock.now()
    let notice = try Notice(
        action: .trigger, dedupKey: "break-glass-bench-\(index)-\(UUID().uuidString)",
        summary: "Break-glass access to db-\(index % 50).prod.internal by alice: database on fire", severity: .critical,
        source: source, component: "ssh", group: "production", eventClass: "break-glass",
        link: URL(string: "\(source)/requests/\(index)"),
        details: ["requester": "alice", "host": "db-\(index % 50).prod.internal", "ticket": "INC-\(index)", "duration": "30m"], time: now
    )
    return OutboxMessage(id: OutboxID.random(), channel: channelName, notice: notice, createdAt: now)
}

/// The real sender, with a tally of what it was answered and a signal per delivery: how the
/// benchmark knows when the last message went out and when one message's answer came back.
final class ObservedSender: ChannelSender, @unchecked Sendable {
    let inner: HTTPChannelSender
    private let lock = NSLock()
    private var delivered = 0
    private var failed = 0
    private var target = Int.max
    private var whenDone: CheckedContinuation<Void, Never>?
    let deliveries: AsyncStream<OutboxID>
    private let announce: AsyncStream<OutboxID>.Continuation

    init(_ inner: HTTPChannelSender) {
        self.inner = inner
        (deliveries, announce) = AsyncStream.makeStream(of: OutboxID.self)
    }

    func send(_ message: OutboxMessage) async -> DeliveryOutcome {
        let outcome = await inner.send(message)
        let finished: CheckedContinuation<Void, Never>? = lock.withLock {
            guard case .delivered = outcome else {
                failed += 1
                return nil
            }
            delivered += 1
            guard delivered >= target, let waiting = whenDone else { return nil }
            whenDone = nil
            return waiting
        }
        if case .delivered = outcome { announce.yield(message.id) }
        finished?.resume()
        return outcome
    }

    /// Returns once `count` deliveries have been answered since the sender was made.
    func awaitDeliveries(_ count: Int) async {
        await withCheckedContinuation { continuation in
            let now: Bool = lock.withLock {
                guard delivered < count else { return true }
                target = count
                whenDone = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }

    var failedAttempts: Int { lock.withLock { failed } }
}

/// A fresh store (the real schema, the durability asked) with `messages` committed in batches of 500.
func storeHolding(_ messages: [OutboxMessage], name: String) async throws -> SQLiteStore {
    let store = try SQLiteStore.open(path: directory.appendingPathComponent("\(name).sqlite").path, durability: durability)
    var start = 0
    while start < messages.count {
        try await store.enqueue(Array(messages[start..<min(messages.count, start + 500)]))
        start += 500
    }
    return store
}

/// The dispatcher's deliveries per second: from its start until the store holds no pending message.
func dispatcherRate(round: Int) async throws -> (rate: Double, failed: Int) {
    let messages = try (0..<messageCount).map(page)
    let store = try await storeHolding(messages, name: "throughput-\(round)")
    let sender = ObservedSender(HTTPChannelSender(channel: channel, client: client, clock: clock))
    let dispatcher = OutboxDispatcher(
        store: store, senders: [channelName: sender], clock: clock, settings: OutboxDispatcher.Settings(source: source), logger: logger
    )
    let start = ContinuousClock.now
    let running = Task { await dispatcher.run() }
    await sender.awaitDeliveries(messageCount)
    // The last settlements are still committing once their answers are in.
    while try await store.outboxTally()[channelName]?.pending ?? 0 > 0 { try await Task.sleep(for: .milliseconds(1)) }
    let elapsed = seconds(since: start)
    running.cancel()
    await running.value
    let tally = try await store.outboxTally()[channelName]
    guard tally?.dead ?? 0 == 0 else { throw BenchFailure("\(tally?.dead ?? 0) messages died") }
    return (Double(messageCount) / elapsed, sender.failedAttempts)
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One plain POST of a prepared request, as HTTPChannelSender posts it; fails unless answered 2xx.
func post(_ request: ChannelRequest) async throws {
    var outgoing = HTTPClientRequest(url: request.url)
    outgoing.method = .POST
    for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
    outgoing.body = .bytes(ByteBuffer(bytes: request.body))
    let response = try await client.execute(outgoing, deadline: .now() + .seconds(5))
    _ = try await response.body.collect(upTo: HTTPChannelSender.answerLimit)
    guard (200..<300).contains(response.status.code) else { throw BenchFailure("the receiver answered \(response.status.code)") }
}

/// The plain loop's POSTs per second: the same signed requests, `concurrency` in flight.
func postLoopRate() async throws -> Double {
    let requests = try (0..<messageCount).map { channel.request(for: try page($0), at: clock.now()) }
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for lane in 0..<concurrency {
            group.addTask {
                for index in stride(from: lane, to: requests.count, by: concurrency) { try await post(requests[index]) }
            }
        }
        try await group.waitForAll()
    }
    return Double(messageCount) / seconds(since: start)
}

var ratios: [Double] = []
for round in 1...rounds {
    // Alternating which goes first, so neither always finds the receiver's connections warm.
    var dispatcher = (rate: 0.0, failed: 0)
    var loop = 0.0
    if round % 2 == 1 {
        dispatcher = try await dispatcherRate(round: round)
        loop = try await postLoopRate()
    } else {
        loop = try await postLoopRate()
        dispatcher = try await dispatcherRate(round: round)
    }
    ratios.append(dispatcher.rate / loop)
    print(String(
        format: "round=%d dispatcher_deliveries_per_second=%.0f post_loop_posts_per_second=%.0f ratio=%.3f messages=%d in_flight=%d failed_attempts=%d",
        round, dispatcher.rate, loop, dispatcher.rate / loop, messageCount, concurrency, dispatcher.failed
    ))
}
let median = ratios.sorted()[ratios.count / 2]
print(String(format: "outbox_median_ratio=%.3f goal=0.50 met=%@ rounds=%d synchronous=%@", median, median >= 0.5 ? "yes" : "no", rounds, durability.rawValue))

/// One message at a time: enqueued (its commit included), the dispatcher woken, until the
/// receiver's answer is back in the sender: an upper bound on its arrival. In milliseconds, with
/// each enqueue's commit alone.
func pageLatencies() async throws -> (enqueueToAnswer: [Double], commits: [Double]) {
    let latencyStore = try await storeHolding([], name: "latency")
    let observed = ObservedSender(HTTPChannelSender(channel: channel, client: client, clock: clock))
    let latencyDispatcher = OutboxDispatcher(
        store: latencyStore, senders: [channelName: observed], clock: clock, settings: OutboxDispatcher.Settings(source: source), logger: logger
    )
    let dispatching = Task { await latencyDispatcher.run() }
    var answered = observed.deliveries.makeAsyncIterator()
    var enqueueToAnswer: [Double] = []
    var commits: [Double] = []
    for index in 0..<(samples + 20) {
        let message = try page(index)
        let start = ContinuousClock.now
        try await latencyStore.enqueue([message])
        let committed = seconds(since: start)
        latencyDispatcher.wake()
        while let id = await answered.next(), id != message.id {}
        // The first 20 warm the connection and the statements.
        if index >= 20 {
            enqueueToAnswer.append(seconds(since: start) * 1000)
            commits.append(committed * 1000)
        }
        // Its settlement commits before the next enqueue, as pages seconds apart would find it.
        while try await latencyStore.outboxTally()[channelName]?.pending ?? 0 > 0 { try await Task.sleep(for: .milliseconds(1)) }
    }
    dispatching.cancel()
    await dispatching.value
    return (enqueueToAnswer, commits)
}

let (enqueueToAnswer, commits) = try await pageLatencies()
var roundTrips: [Double] = []
for index in 0..<(samples + 20) {
    let request = channel.request(for: try page(index), at: clock.now())
    let start = ContinuousClock.now
    try await post(request)
    if index >= 20 { roundTrips.append(seconds(since: start) * 1000) }
}
print(String(
    format: "outbox_latency enqueue_to_answer_p50_ms=%.2f enqueue_to_answer_p99_ms=%.2f enqueue_commit_p50_ms=%.2f post_round_trip_p50_ms=%.2f post_round_trip_p99_ms=%.2f samples=%d",
    percentile(enqueueToAnswer, 0.5), percentile(enqueueToAnswer, 0.99), percentile(commits, 0.5),
    percentile(roundTrips, 0.5), percentile(roundTrips, 0.99), samples
))
try await client.shutdown().get()
