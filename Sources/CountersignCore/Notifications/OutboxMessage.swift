import Foundation

/// One notification for one channel, committed in the transaction of what caused it (a grant, a
/// decision) and delivered at least once afterwards by a dispatcher. Its state moves forward only:
/// pending (due at `nextAttemptAt`) → delivered, or dead once the channel refused it for good or
/// the attempts ran out. While a dispatcher holds it (`claimedUntil` in the future) no other one
/// sends it.
public struct OutboxMessage: Hashable, Sendable {
    public enum State: Hashable, Sendable {
        case pending
        case delivered(at: Date)
        /// Given up: `reason` says why (the channel's answer, or the attempts spent).
        case dead(at: Date, reason: String)
    }

    public let id: OutboxID
    public let channel: ChannelName
    public let notice: Notice
    public let createdAt: Date
    public internal(set) var state: State
    /// Attempts made so far, successful or not.
    public internal(set) var attempts: Int
    public internal(set) var nextAttemptAt: Date
    public internal(set) var claimedUntil: Date?
    /// The last failed attempt's reason, for the operator; never a secret.
    public internal(set) var lastError: String?

    public init(
        id: OutboxID, channel: ChannelName, notice: Notice, createdAt: Date, state: State = .pending, attempts: Int = 0,
        nextAttemptAt: Date? = nil, claimedUntil: Date? = nil, lastError: String? = nil
    ) {
        self.id = id
        self.channel = channel
        self.notice = notice
        self.createdAt = createdAt
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt ?? createdAt
        self.claimedUntil = claimedUntil
        self.lastError = lastError
    }
}

/// What one delivery attempt came to, as the transport read the channel's answer.
public enum DeliveryOutcome: Hashable, Sendable {
    case delivered
    /// Worth trying again: unreachable, timed out, 5xx, 408, or 429 (with the receiver's
    /// `Retry-After`, when it gave one).
    case retryable(reason: String, retryAfter: TimeInterval?)
    /// The channel refused the message itself (another 4xx): sending it again cannot help.
    case rejected(reason: String)
}
