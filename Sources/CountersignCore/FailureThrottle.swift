import Foundation

/// Counts failures per key in a sliding window (failed logins per username and per address,
/// refused hardware-key approvals per approver), so that guessing is slowed to a crawl without
/// locking a real user out for long.
public struct FailureThrottle: Sendable {
    public struct Limit: Hashable, Sendable {
        public let failures: Int
        public let window: TimeInterval

        public init(failures: Int, window: TimeInterval) {
            self.failures = failures
            self.window = window
        }
    }

    public let limit: Limit
    private var failures: [String: [Date]] = [:]
    /// Keys tracked at most, so a flood of distinct usernames cannot grow memory without bound.
    public let capacity: Int

    public init(limit: Limit, capacity: Int = 100_000) {
        self.limit = limit
        self.capacity = capacity
    }

    /// How long `key` must wait before trying again, or nil if it may try now.
    public func retryAfter(_ key: String, at now: Date) -> TimeInterval? {
        let recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < limit.window }
        guard recent.count >= limit.failures, let oldest = recent.first else { return nil }
        return max(1, limit.window - now.timeIntervalSince(oldest))
    }

    public mutating func recordFailure(_ key: String, at now: Date) {
        if failures[key] == nil, failures.count >= capacity { prune(at: now) }
        var recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < limit.window }
        recent.append(now)
        failures[key] = Array(recent.suffix(limit.failures))
    }

    public mutating func recordSuccess(_ key: String) {
        failures[key] = nil
    }

    /// Takes back one failure recorded at `time`: an attempt counted before it was checked (so
    /// that parallel guesses cannot all pass the limit) that then turned out to be no guess.
    public mutating func withdrawFailure(_ key: String, recordedAt time: Date) {
        guard var recorded = failures[key], let index = recorded.lastIndex(of: time) else { return }
        recorded.remove(at: index)
        failures[key] = recorded.isEmpty ? nil : recorded
    }

    private mutating func prune(at now: Date) {
        failures = failures.filter { _, dates in dates.contains { now.timeIntervalSince($0) < limit.window } }
        guard failures.count >= capacity else { return }
        // Still full of live keys: forget the stalest tenth at once. Evicting one at a time would
        // make every new key of a flood pay a scan of the whole table.
        let stalest = failures.sorted { ($0.value.last ?? now) < ($1.value.last ?? now) }.prefix(max(1, capacity / 10))
        for (key, _) in stalest { failures[key] = nil }
    }
}
