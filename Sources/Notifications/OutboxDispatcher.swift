import CountersignCore
import CountersignStore
import Foundation
import Logging

/// Delivers the outbox: claims the messages due, sends each through its channel's sender and
/// settles it as `DeliveryRules` says, announcing a dead letter on every other channel in the same
/// transaction. Runs every `interval` and at once on `wake()` (a page was just committed).
///
/// Several dispatchers, on one gateway or on several sharing a database, may run at once: the
/// store's claim keeps each message with one of them. Delivery is at least once (an answer lost
/// after the receiver took the message means a second attempt), which the dedup key makes
/// harmless at PagerDuty and the delivery id tells apart at a webhook.
///
/// A resolve never overtakes its trigger: the store hands out no resolve while a trigger of its
/// channel and dedup key is pending (`OutboxStore.claimDueMessages`), and a delivered trigger
/// wakes the next pass for it. Messages of one channel and dedup key claimed together are sent
/// one after the other, oldest first, and the first that is not delivered holds back the rest:
/// they keep their claim until it lapses and are retried then, with no attempt counted.
/// Different keys go out side by side, at most `concurrency` at a time.
public final class OutboxDispatcher: Sendable {
    public struct Settings: Sendable {
        /// How often the outbox is looked at when nobody calls `wake()`.
        public var interval: Duration
        /// Messages claimed at once; a full claim is followed by another, made while its last sends are out.
        public var batchSize: Int
        /// Sends in flight at once.
        public var concurrency: Int
        /// Where dead letters' announcements say they come from (the gateway's public URL).
        public var source: String

        public init(interval: Duration = .seconds(1), batchSize: Int = 64, concurrency: Int = 8, source: String) {
            self.interval = interval
            self.batchSize = max(1, batchSize)
            self.concurrency = max(1, concurrency)
            self.source = source
        }
    }

    /// What one pass did, for tests and logs.
    public struct Pass: Hashable, Sendable {
        public var claimed = 0
        public var delivered = 0
        public var retrying = 0
        public var died = 0
        /// Claimed but not sent: held behind an earlier message of their key that was not delivered.
        public var heldBack = 0
        /// Settlements the store did not record: the claim had lapsed and another dispatcher held
        /// the message, or the store failed (the message is retried once its claim lapses).
        public var unrecorded = 0
        /// The claim itself failed.
        public var claimFailed = false

        public init() {}

        static func + (lhs: Pass, rhs: Pass) -> Pass {
            var sum = lhs
            sum.claimed += rhs.claimed
            sum.delivered += rhs.delivered
            sum.retrying += rhs.retrying
            sum.died += rhs.died
            sum.heldBack += rhs.heldBack
            sum.unrecorded += rhs.unrecorded
            sum.claimFailed = lhs.claimFailed || rhs.claimFailed
            return sum
        }
    }

    let store: any OutboxStore
    let senders: [ChannelName: any ChannelSender]
    let clock: any WallClock
    let jitter: @Sendable () -> Double
    let settings: Settings
    let logger: Logger
    private let committer: SettlementCommitter
    private let wakes: AsyncStream<Void>
    private let wakeUp: AsyncStream<Void>.Continuation

    /// - Parameter senders: one per configured channel; a message for any other channel is refused
    ///   by name and its death announced on these.
    /// - Parameter jitter: values in 0...1 that spread retries (`DeliveryRules.settle`).
    public init(
        store: any OutboxStore, senders: [ChannelName: any ChannelSender], clock: any WallClock, settings: Settings, logger: Logger,
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) {
        self.store = store
        self.senders = senders
        self.clock = clock
        self.settings = settings
        self.logger = logger
        self.jitter = jitter
        committer = SettlementCommitter(store: store)
        // One pending wake is enough however many arrive during a pass: the next pass sees them all.
        (wakes, wakeUp) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Look at the outbox now rather than at the next interval.
    public func wake() {
        wakeUp.yield()
    }

    /// Passes until the task is cancelled: one at once, then every interval and on each wake.
    /// Run it once per dispatcher.
    public func run() async {
        let interval = settings.interval
        let wakeUp = wakeUp
        await withDiscardingTaskGroup { group in
            group.addTask {
                while (try? await Task.sleep(for: interval)) != nil { wakeUp.yield() }
            }
            wakeUp.yield()
            for await _ in wakes where !Task.isCancelled {
                await dispatchDue()
            }
            group.cancelAll()
        }
    }

    /// One pass: claim what is due, send it, settle it, and claim again while claims come back
    /// full. The next claim is made while the last sends of the one before are out, so that the
    /// send slots do not stand idle during a claim's transaction.
    @discardableResult
    public func dispatchDue() async -> Pass {
        var total = Pass()
        // A send slot is freed as soon as its answer is in: recording the attempt goes on beside
        // the next sends (`SettlementCommitter` groups them), and the pass ends once all are recorded.
        var recording: [Task<Pass, Never>] = []
        var claiming: Task<[OutboxMessage]?, Never>? = claimDue()
        await withTaskGroup(of: (Pass, [Task<Pass, Never>]).self) { group in
            var running = 0
            while let claim = claiming {
                claiming = nil
                guard let claimed = await claim.value else {
                    total.claimFailed = true
                    break
                }
                total.claimed += claimed.count
                let chains = Self.chains(claimed)
                for (index, chain) in chains.enumerated() {
                    // A dispatcher being stopped claims no more: what it claimed, it still sends and records.
                    if claimed.count >= settings.batchSize, claiming == nil, chains.count - index <= settings.concurrency, !Task.isCancelled {
                        claiming = claimDue()
                    }
                    if running == settings.concurrency, let (done, settling) = await group.next() {
                        total = total + done
                        recording += settling
                        running -= 1
                    }
                    group.addTask { await self.deliver(chain) }
                    running += 1
                }
            }
            for await (done, settling) in group {
                total = total + done
                recording += settling
            }
        }
        for settled in recording { total = total + (await settled.value) }
        return total
    }

    /// The messages due now, claimed; nil when the claim failed (logged).
    private func claimDue() -> Task<[OutboxMessage]?, Never> {
        Task {
            do {
                return try await store.claimDueMessages(at: clock.now(), limit: settings.batchSize)
            } catch {
                logger.error("cannot claim due notifications", metadata: ["error": "\(error)"])
                return nil
            }
        }
    }

    /// The claimed messages by channel and dedup key, each run oldest first; the runs in the order
    /// the store gave (the longest due first).
    static func chains(_ messages: [OutboxMessage]) -> [[OutboxMessage]] {
        struct Key: Hashable {
            let channel: ChannelName
            let dedupKey: String
        }
        var order: [Key] = []
        var runs: [Key: [OutboxMessage]] = [:]
        for message in messages {
            let key = Key(channel: message.channel, dedupKey: message.notice.dedupKey)
            if runs[key] == nil { order.append(key) }
            runs[key, default: []].append(message)
        }
        return order.map { key in
            (runs[key] ?? []).sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        }
    }

    /// Sends a chain's messages in turn until one is not delivered; the recordings of their attempts, under way.
    private func deliver(_ chain: [OutboxMessage]) async -> (Pass, [Task<Pass, Never>]) {
        var pass = Pass()
        var recording: [Task<Pass, Never>] = []
        for (index, message) in chain.enumerated() {
            let outcome: DeliveryOutcome
            if let sender = senders[message.channel] {
                outcome = await sender.send(message)
            } else {
                outcome = .rejected(reason: "no channel named \(message.channel) is configured on this gateway")
            }
            recording.append(Task { await self.settle(message, outcome) })
            guard case .delivered = outcome else {
                pass.heldBack += chain.count - index - 1
                break
            }
        }
        return (pass, recording)
    }

    private func settle(_ message: OutboxMessage, _ outcome: DeliveryOutcome) async -> Pass {
        var pass = Pass()
        let now = clock.now()
        let settlement = DeliveryRules.settle(message, outcome, at: now, jitter: jitter())
        let announcements = settlement.died
            ? DeliveryRules.deadLetterNotices(for: settlement.message, on: senders.keys.sorted(), at: now, source: settings.source)
            : []
        // Built only when a line is written: a delivery's debug line is not, at the usual level.
        func facts() -> Logger.Metadata {
            [
                "channel": "\(message.channel)", "message": "\(message.id)", "dedup_key": "\(message.notice.dedupKey)",
                "attempt": "\(settlement.message.attempts)",
            ]
        }
        var metadata = Logger.Metadata()
        switch outcome {
        case .delivered:
            pass.delivered = 1
            logger.debug("notification delivered", metadata: facts())
        case .retryable(let reason, _) where !settlement.died:
            pass.retrying = 1
            metadata = facts()
            metadata["reason"] = "\(reason)"
            metadata["next_attempt"] = "\(NoticeTime.iso8601(settlement.message.nextAttemptAt))"
            logger.warning("notification not delivered, will retry", metadata: metadata)
        case .retryable(let reason, _), .rejected(let reason):
            pass.died = 1
            metadata = facts()
            metadata["reason"] = "\(reason)"
            metadata["announced_on"] = "\(announcements.map(\.channel.rawValue).joined(separator: ","))"
            logger.error("notification dead-lettered", metadata: metadata)
        }
        guard let claimedUntil = message.claimedUntil else {
            // A store hands out only claimed messages; one without a claim cannot be settled safely.
            logger.error("claimed notification without a claim", metadata: facts().merging(metadata) { $1 })
            pass.unrecorded = 1
            return pass
        }
        switch await committer.record(SettledAttempt(settlement, claimedUntil: claimedUntil, enqueueing: announcements)) {
        case .success(true):
            // A resolve may wait on this trigger; dead letters' announcements are due at once.
            if !announcements.isEmpty || (settlement.message.notice.action == .trigger && pass.delivered == 1) { wake() }
        case .success(false):
            pass.unrecorded = 1
            logger.warning("notification's claim had lapsed; another dispatcher holds it", metadata: facts().merging(metadata) { $1 })
        case .failure(let error):
            pass.unrecorded = 1
            metadata["error"] = "\(error)"
            logger.error("cannot record a notification's attempt; it is retried once its claim lapses", metadata: facts().merging(metadata) { $1 })
        }
        return pass
    }
}
