import CountersignCore
import Foundation
import Synchronization

/// The deploy requests of rollouts checked within the last second, by exact target, so that a
/// pipeline's burst of checks costs one store read (the read and the rebuilding of its rows were
/// half of a check's cost, `make bench`). An entry is tagged with the store's count of committed
/// audit events taken before its read: every change to a request commits with an event, so a
/// change made through this gateway (a revocation, an approval, an expiry) makes every entry read
/// before it a miss at once. A change made by another gateway on the same database is seen here
/// within `freshness`, as with sessions and machine tokens (`RecentReads`). The verdict is judged
/// afresh from the requests on every check, and a rollout start reads its request again inside
/// its own transaction.
final class DeployLookupCache: Sendable {
    static var freshness: Duration { .seconds(1) }
    static var capacity: Int { 10_000 }

    private struct Entry {
        let requests: [AccessRequest]
        /// `committedAuditEvents` before the read.
        let generation: Int
        let readAt: ContinuousClock.Instant
    }

    private let entries = Mutex<[DeployTarget: Entry]>([:])

    /// The requests for `target` if they were read within `freshness` and nothing was committed
    /// through this gateway since (`generation` is the store's count now).
    func requests(for target: DeployTarget, generation: Int, now: ContinuousClock.Instant = .now) -> [AccessRequest]? {
        entries.withLock { entries in
            guard let entry = entries[target] else { return nil }
            guard entry.generation == generation, now - entry.readAt < Self.freshness else {
                entries[target] = nil
                return nil
            }
            return entry.requests
        }
    }

    /// Keeps what a read found, tagged with the count taken before the read began, so that a
    /// write committed while it ran makes it a miss.
    func remember(_ requests: [AccessRequest], for target: DeployTarget, readAfter generation: Int, now: ContinuousClock.Instant = .now) {
        entries.withLock { entries in
            if entries.count >= Self.capacity {
                entries = entries.filter { now - $0.value.readAt < Self.freshness }
                if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[target] = Entry(requests: requests, generation: generation, readAt: now)
        }
    }
}
