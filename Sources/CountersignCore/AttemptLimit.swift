import Crypto
import Foundation

/// At most `attempts` counted attempts per `window` on one counter: how failed logins and refused
/// key approvals are slowed to a crawl without locking a real user out for longer than the window.
public struct AttemptLimit: Hashable, Sendable {
    public let attempts: Int
    public let window: TimeInterval

    public init(attempts: Int, window: TimeInterval) {
        self.attempts = attempts
        self.window = window
    }

    /// How long to wait before the next attempt, given the times of the most recent attempts
    /// counted (any order, at least `attempts` of them if there are that many); nil if it may be
    /// made now. The wait runs until the oldest of the last `attempts` leaves the window.
    public func retryAfter(recent: [Date], at now: Date) -> TimeInterval? {
        let inWindow = recent.filter { now.timeIntervalSince($0) < window }.sorted().suffix(attempts)
        guard attempts > 0, inWindow.count >= attempts, let oldest = inWindow.first else { return nil }
        return max(1, window - now.timeIntervalSince(oldest))
    }

    /// Attempts before this are outside every window this limit keeps: the store may forget them.
    public func horizon(at now: Date) -> Date { now.addingTimeInterval(-window) }
}

/// One thing attempts are counted against: a user, an address, a user at an address, an approver.
public struct AttemptCounter: Hashable, Sendable {
    public enum Scope: String, Sendable, CaseIterable {
        case loginUserAtAddress = "login.user_at_address"
        case loginUser = "login.user"
        case loginAddress = "login.address"
        case keyApprovalRefusals = "key_approval.refusals"
    }

    public let scope: Scope
    /// What is counted, as stored: the caller's key when short, otherwise its SHA-256, so that no
    /// input from outside can make a stored key long.
    public let key: String
    public let limit: AttemptLimit

    public static let maximumKeyLength = 200

    public init(_ scope: Scope, key: String, limit: AttemptLimit) {
        self.scope = scope
        self.key = key.utf8.count <= Self.maximumKeyLength ? key : "sha256:" + SHA256.hash(data: Data(key.utf8)).hexString
        self.limit = limit
    }
}

/// What counting an attempt came to.
public enum AttemptAdmission: Equatable, Sendable {
    /// Counted on every counter; the receipt takes it back (`AttemptLedger.withdraw`).
    case admitted(AttemptReceipt)
    /// Nothing counted: `counter` (the first at its limit) and the longest wait of all.
    case refused(AttemptCounter, retryAfter: TimeInterval)
}

/// One counted attempt, as recorded on each of its counters.
public struct AttemptReceipt: Hashable, Sendable {
    public let id: String
    public let at: Date

    public init(id: String, at: Date) {
        self.id = id
        self.at = at
    }

    /// A fresh receipt: 128 random bits, so that withdrawing one attempt never takes another's.
    public static func issue(at now: Date, using generator: inout some RandomNumberGenerator) -> AttemptReceipt {
        AttemptReceipt(id: (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }.hexString, at: now)
    }
}
