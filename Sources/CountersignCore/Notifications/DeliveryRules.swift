import Foundation

/// The rules of delivering the outbox, stated once: which messages are due, how a dispatcher holds
/// one while it sends, and what an attempt's outcome makes of it. Pure: dispatchers and stores
/// carry out what these decide, under an injected clock and an injected jitter.
public enum DeliveryRules {
    /// The wait after the first failed attempt; each later failure doubles it, up to `maximumBackoff`.
    public static let firstBackoff: TimeInterval = 2
    public static let maximumBackoff: TimeInterval = 600
    /// A receiver's `Retry-After` is honoured up to this; a longer one is taken as this.
    public static let maximumRetryAfter: TimeInterval = 3600
    /// Attempts before a message is given up (about three hours of retrying at the longest wait).
    public static let maximumAttempts = 25
    /// How long a dispatcher holds a claimed message: longer than one attempt's timeout, so that
    /// a dispatcher that died mid-send lets another one take the message over once it lapses.
    public static let claimLease: TimeInterval = 60
    /// The class of the notices that announce a dead letter: one of them dying announces nothing,
    /// or two channels down would announce each other's failures for ever.
    public static let deadLetterClass = "outbox.dead-letter"

    public static func isDue(_ message: OutboxMessage, at now: Date) -> Bool {
        guard case .pending = message.state, message.nextAttemptAt <= now else { return false }
        return message.claimedUntil.map { $0 <= now } ?? true
    }

    /// The message as a dispatcher holds it from `now`.
    public static func claim(_ message: OutboxMessage, at now: Date) -> OutboxMessage {
        var claimed = message
        claimed.claimedUntil = now.addingTimeInterval(claimLease)
        return claimed
    }

    /// What an attempt made of a message.
    public struct Settlement: Hashable, Sendable {
        public let message: OutboxMessage
        /// The message died with this attempt: announce it (`deadLetterNotices`).
        public let died: Bool
        /// A death is audited: a page that never arrived is evidence.
        public var events: [AuditEvent] {
            guard died, case .dead(let at, let reason) = message.state else { return [] }
            return [AuditEvent(time: at, actor: AuditEvent.systemActor, action: .notificationDeadLettered, subject: message.id.rawValue, details: [
                "channel": message.channel.rawValue, "dedup_key": String(message.notice.dedupKey.prefix(AuditEvent.maximumFieldLength)),
                "class": message.notice.eventClass, "attempts": String(message.attempts), "reason": String(reason.prefix(AuditEvent.maximumFieldLength)),
            ])]
        }
    }

    /// The message after an attempt ending at `now` with `outcome`. `jitter`, in 0...1, spreads the
    /// retries of many messages (a receiver back from an outage is not hit by all of them at once):
    /// the wait is between half and all of the backoff.
    public static func settle(_ message: OutboxMessage, _ outcome: DeliveryOutcome, at now: Date, jitter: Double) -> Settlement {
        guard case .pending = message.state else { return Settlement(message: message, died: false) }
        var settled = message
        settled.attempts += 1
        settled.claimedUntil = nil
        switch outcome {
        case .delivered:
            settled.state = .delivered(at: now)
            settled.lastError = nil
            return Settlement(message: settled, died: false)
        case .rejected(let reason):
            settled.lastError = reason
            settled.state = .dead(at: now, reason: "refused by the channel: \(reason)")
            return Settlement(message: settled, died: true)
        case .retryable(let reason, let retryAfter):
            settled.lastError = reason
            guard settled.attempts < maximumAttempts else {
                settled.state = .dead(at: now, reason: "gave up after \(settled.attempts) attempts: \(reason)")
                return Settlement(message: settled, died: true)
            }
            settled.nextAttemptAt = now.addingTimeInterval(retryDelay(afterAttempts: settled.attempts, jitter: jitter, retryAfter: retryAfter))
            return Settlement(message: settled, died: false)
        }
    }

    /// The wait after `attempts` failed attempts in a row: the backoff doubles from `firstBackoff`
    /// up to `maximumBackoff`, spread by `jitter` (in 0...1) between half and all of it, and is never
    /// shorter than the receiver's `Retry-After` (held to `maximumRetryAfter`). The audit stream
    /// waits by the same rule.
    public static func retryDelay(afterAttempts attempts: Int, jitter: Double, retryAfter: TimeInterval?) -> TimeInterval {
        let backoff = min(maximumBackoff, firstBackoff * pow(2, Double(max(attempts, 1) - 1)))
        let jittered = backoff * (0.5 + 0.5 * min(max(jitter, 0), 1))
        let asked = retryAfter.map { min(max($0, 0), maximumRetryAfter) } ?? 0
        return max(jittered, asked)
    }

    /// The announcements of `dead` on every other channel, so that someone hears that a page or a
    /// notice never arrived. None for an announcement itself.
    public static func deadLetterNotices(for dead: OutboxMessage, on channels: [ChannelName], at now: Date, source: String) -> [OutboxMessage] {
        guard case .dead(_, let reason) = dead.state, dead.notice.eventClass != deadLetterClass else { return [] }
        let notice: Notice
        do {
            notice = try Notice(
                action: .inform, dedupKey: "dead-letter:\(dead.id.rawValue)",
                summary: String("Countersign could not deliver a notification to \(dead.channel): \(dead.notice.summary)".prefix(Notice.maximumSummaryLength)),
                severity: .error, source: source, eventClass: deadLetterClass, link: dead.notice.link,
                details: [
                    "channel": dead.channel.rawValue, "message": dead.id.rawValue, "dedup_key": String(dead.notice.dedupKey.prefix(Notice.maximumDetailLength)),
                    "reason": String(reason.prefix(Notice.maximumDetailLength)), "attempts": String(dead.attempts),
                ],
                time: now
            )
        } catch {
            // Every field above is bounded to what a notice takes.
            return []
        }
        return notice.messages(on: channels.filter { $0 != dead.channel }, at: now)
    }
}
