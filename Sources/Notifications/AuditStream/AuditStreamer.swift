import CountersignCore
import CountersignStore
import Foundation
import Logging
import Synchronization

/// Streams the audit log to every configured sink, in sequence order, at least once: for each sink
/// it takes the sink's lease on its cursor (`AuditStreamRules.lease`), sends the next batch after
/// the acknowledged sequence, and moves the cursor only once the receiver acknowledged it, by a
/// compare-and-set on the cursor it was sent under. A failed batch is sent again after the outbox's
/// backoff (or the receiver's `Retry-After`), whatever the answer: nothing is ever given up. An
/// outage past `AuditStreamRules.outageBound` is audited and announced once on the notification
/// channels, through the outbox, in the transaction that records it.
///
/// Runs every `interval` and at once after each commit that appended events through the store.
/// Every gateway on a shared database runs one; the lease keeps each sink with one of them. Passes
/// over one sink never overlap within a streamer, so one gateway never sends a batch twice at once.
public final class AuditStreamer: Sendable {
    public struct Settings: Sendable {
        /// How often the log is looked at when no commit of this gateway's wakes the stream
        /// (another gateway's commits, a backoff running out).
        public var interval: Duration
        /// Where announcements say they come from (the gateway's public URL).
        public var source: String
        /// The channels an outage is announced on.
        public var channels: [ChannelName]
        /// This gateway as a lease holder: unique per process.
        public var holder: String
        public var outageBound: TimeInterval

        public init(
            interval: Duration = .seconds(1), source: String, channels: [ChannelName],
            holder: String = "gateway-\(OutboxID.random().rawValue)", outageBound: TimeInterval = AuditStreamRules.outageBound
        ) {
            self.interval = interval
            self.source = source
            self.channels = channels
            self.holder = AuditStreamRules.isHolder(holder) ? holder : "gateway-\(OutboxID.random().rawValue)"
            self.outageBound = outageBound
        }
    }

    /// What a pass saw, for the gateway's metrics.
    public enum Observation: Hashable, Sendable {
        /// Events the sink has not acknowledged.
        case lag(AuditSinkName, Int64)
        /// An attempt failed.
        case failed(AuditSinkName)
        /// Whether the sink has been failing past the outage bound.
        case outage(AuditSinkName, Bool)
    }

    /// What one pass did for one sink, for tests and logs.
    public struct Pass: Hashable, Sendable {
        /// Records the receiver acknowledged.
        public var acknowledged = 0
        public var failed = false
        /// Records sent that do not continue the chain as acknowledged (reported, sent anyway).
        public var faults = 0
        /// Another gateway streams the sink.
        public var heldElsewhere = false
        /// A backoff runs.
        public var waiting = false
        /// The cursor changed under this pass (another gateway took the sink): nothing recorded.
        public var unrecorded = false
        public var storeFailed = false
        /// The batch stopped at a bound and was acknowledged: more may be due at once.
        public var more = false

        public init() {}
    }

    let store: any AuditStreamStore & AuditLog
    let senders: [any AuditStreamSender]
    let clock: any WallClock
    let jitter: @Sendable () -> Double
    let settings: Settings
    let logger: Logger
    let observe: @Sendable (Observation) -> Void
    let announced: @Sendable () -> Void
    private let turns: [AuditSinkName: Turns]
    private let wakes: AsyncStream<Void>
    private let wakeUp: AsyncStream<Void>.Continuation

    /// - Parameter observe: told the lag, failures and outages each pass sees (the metrics).
    /// - Parameter announced: called once an outage's announcement is committed to the outbox
    ///   (wake the dispatcher).
    /// - Parameter jitter: values in 0...1 that spread retries (`DeliveryRules.retryDelay`).
    public init(
        store: any AuditStreamStore & AuditLog, senders: [any AuditStreamSender], clock: any WallClock, settings: Settings, logger: Logger,
        observe: @escaping @Sendable (Observation) -> Void = { _ in }, announced: @escaping @Sendable () -> Void = {},
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) {
        self.store = store
        self.senders = senders
        self.clock = clock
        self.settings = settings
        self.logger = logger
        self.observe = observe
        self.announced = announced
        self.jitter = jitter
        turns = Dictionary(senders.map { ($0.sink.name, Turns()) }, uniquingKeysWith: { first, _ in first })
        // One pending wake is enough however many commits arrive during a pass: the next pass reads them all.
        (wakes, wakeUp) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        if !senders.isEmpty {
            let wakeUp = wakeUp
            store.whenAuditCommits { wakeUp.yield() }
        }
    }

    public var sinks: [AuditSink] { senders.map(\.sink) }

    /// This gateway's name in the sinks' leases.
    public var holder: String { settings.holder }

    /// Look at the log now rather than at the next interval.
    public func wake() {
        wakeUp.yield()
    }

    /// Passes until the task is cancelled: one at once, then every interval and on each wake. Call
    /// `release()` after it ends (outside the cancelled task), so another gateway takes the sinks at once.
    public func run() async {
        guard !senders.isEmpty else {
            // Nothing to stream: a service that returned would stop the gateway, so wait to be stopped.
            for await _ in wakes {}
            return
        }
        let interval = settings.interval
        let wakeUp = wakeUp
        await withDiscardingTaskGroup { group in
            group.addTask {
                while (try? await Task.sleep(for: interval)) != nil { wakeUp.yield() }
            }
            wakeUp.yield()
            for await _ in wakes {
                // A full batch acknowledged means more may be due: send it before waiting again.
                while !Task.isCancelled, await streamDue().values.contains(where: \.more) {}
            }
            group.cancelAll()
        }
    }

    /// One pass of every sink, side by side: a slow receiver holds up only its own sink.
    public func streamDue() async -> [AuditSinkName: Pass] {
        await withTaskGroup(of: (AuditSinkName, Pass).self) { group in
            for sender in senders {
                group.addTask { (sender.sink.name, await self.turn(sender) { await self.pass(sender) }) }
            }
            var passes: [AuditSinkName: Pass] = [:]
            for await (name, pass) in group { passes[name] = pass }
            return passes
        }
    }

    /// Gives up this gateway's leases (at shutdown).
    public func release() async {
        for sender in senders {
            await turn(sender) {
                do {
                    guard let cursor = try await self.store.auditStreamCursor(sender.sink.name),
                          let released = AuditStreamRules.release(cursor, by: self.settings.holder) else { return }
                    _ = try await self.store.replaceAuditStreamCursor(cursor, with: released, events: [], notifications: [])
                } catch {
                    self.logger.warning("cannot release an audit stream lease; it lapses by itself", metadata: ["sink": "\(sender.sink.name)", "error": "\(error)"])
                }
            }
        }
    }

    private func turn<Value: Sendable>(_ sender: any AuditStreamSender, _ body: @escaping @Sendable () async -> Value) async -> Value {
        guard let turns = turns[sender.sink.name] else { return await body() }
        return await turns.take(body)
    }

    private func pass(_ sender: any AuditStreamSender) async -> Pass {
        let sink = sender.sink
        var pass = Pass()
        do {
            let stored = try await store.auditStreamCursor(sink.name)
            let head = try await store.auditHead()?.sequence ?? 0
            let now = clock.now()
            let cursor = stored ?? AuditStreamRules.start(sink.name, at: now)
            let announcing = AuditStreamRules.Announcing(channels: settings.channels, source: settings.source, sinkDescription: sink.description, head: head)
            observe(.lag(sink.name, cursor.lag(head: head)))
            observe(.outage(sink.name, AuditStreamRules.isInOutage(cursor, at: now, outageBound: settings.outageBound)))
            guard head > cursor.acknowledged else { return pass }
            let leased: AuditStreamCursor
            switch AuditStreamRules.lease(cursor, for: settings.holder, at: now) {
            case .waiting:
                pass.waiting = true
                // A long Retry-After must not delay the announcement of an outage past its bound.
                if let stored, let step = AuditStreamRules.announceIfOverdue(stored, at: now, announcing: announcing, outageBound: settings.outageBound) {
                    pass.unrecorded = !(try await record(step, replacing: stored, sink: sink))
                }
                return pass
            case .heldElsewhere:
                pass.heldElsewhere = true
                return pass
            case .held(let held):
                leased = held
            case .taken(let taken):
                guard try await store.replaceAuditStreamCursor(stored, with: taken, events: [], notifications: []) else {
                    pass.unrecorded = true
                    return pass
                }
                leased = taken
            }
            let records = try await store.auditRecords(after: leased.acknowledged, limit: sink.limits.events)
            let batch = AuditStreamRules.batch(after: leased, from: records.map(sender.encode), limits: sink.limits)
            guard let first = batch.items.first?.record.sequence, let last = batch.last?.sequence else { return pass }
            pass.faults = batch.faults.count
            for fault in batch.faults {
                logger.critical("the audit log does not continue the chain its sink acknowledged; sent as stored", metadata: [
                    "sink": "\(sink.name)", "sequence": "\(fault.sequence)", "fault": "\(fault.kind.rawValue)", "problem": "\(fault.message)",
                ])
            }
            let outcome = await sender.send(batch.items)
            let end = clock.now()
            var metadata: Logger.Metadata = ["sink": "\(sink.name)", "first": "\(first)", "last": "\(last)"]
            let step: AuditStreamRules.Step
            switch outcome {
            case .delivered:
                step = AuditStreamRules.acknowledge(leased, batch, by: settings.holder, at: end, announcing: announcing)
                pass.acknowledged = batch.items.count
                pass.more = batch.full
            case .retryable(let reason, let retryAfter):
                step = AuditStreamRules.fail(
                    leased, reason: reason, retryAfter: retryAfter, at: end, jitter: jitter(), announcing: announcing, outageBound: settings.outageBound
                )
                pass.failed = true
                metadata["reason"] = "\(reason)"
            case .rejected(let reason):
                // Never given up: a receiver that refuses today may be fixed tomorrow, and a gap is worse than a wait.
                step = AuditStreamRules.fail(leased, reason: reason, retryAfter: nil, at: end, jitter: jitter(), announcing: announcing, outageBound: settings.outageBound)
                pass.failed = true
                metadata["reason"] = "\(reason)"
            }
            let recorded = try await record(step, replacing: leased, sink: sink)
            pass.unrecorded = !recorded
            if pass.failed {
                observe(.failed(sink.name))
                metadata["next_attempt"] = "\(NoticeTime.iso8601(step.cursor.nextAttemptAt))"
                logger.warning("audit batch not acknowledged, will send it again", metadata: metadata)
            } else {
                logger.debug("audit batch acknowledged", metadata: metadata)
            }
            if !recorded {
                pass.more = false
                logger.warning("the audit stream's cursor changed under this gateway; another gateway streams the sink", metadata: metadata)
            }
            observe(.lag(sink.name, step.cursor.lag(head: head)))
            observe(.outage(sink.name, AuditStreamRules.isInOutage(step.cursor, at: end, outageBound: settings.outageBound)))
        } catch {
            pass.storeFailed = true
            logger.error("cannot stream the audit log", metadata: ["sink": "\(sink.name)", "error": "\(error)"])
        }
        return pass
    }

    /// Writes `step` in place of `current`; whether it was (the cursor had not changed).
    private func record(_ step: AuditStreamRules.Step, replacing current: AuditStreamCursor, sink: AuditSink) async throws -> Bool {
        guard try await store.replaceAuditStreamCursor(current, with: step.cursor, events: step.events, notifications: step.notifications) else {
            return false
        }
        if !step.events.isEmpty {
            let metadata: Logger.Metadata = [
                "sink": "\(sink.name)", "acknowledged": "\(step.cursor.acknowledged)", "announced_on": "\(settings.channels.map(\.rawValue).joined(separator: ","))",
            ]
            if step.cursor.outageAnnounced {
                logger.error("audit stream sink failing past its bound; outage announced", metadata: metadata)
            } else {
                logger.notice("audit stream sink acknowledging again after its outage", metadata: metadata)
            }
        }
        if !step.notifications.isEmpty { announced() }
        return true
    }
}

/// Runs one body at a time, in the order asked: the passes over one sink.
final class Turns: Sendable {
    private let last = Mutex<Task<Void, Never>?>(nil)

    func take<Value: Sendable>(_ body: @escaping @Sendable () async -> Value) async -> Value {
        let task = last.withLock { previous -> Task<Value, Never> in
            let waitFor = previous
            let next = Task { () -> Value in
                await waitFor?.value
                return await body()
            }
            previous = Task { _ = await next.value }
            return next
        }
        return await task.value
    }
}
