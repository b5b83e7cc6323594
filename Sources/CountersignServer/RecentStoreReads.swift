import Foundation
import Synchronization

/// What the store answered within the last second, by the key it was asked for (a request id, a
/// rollout's exact target), so that a burst of reads of one thing costs one store read: a CLI or
/// a page polling a request, a pipeline's checks of one rollout (the read and the rebuilding of
/// its rows were half of a check's cost, `make bench`).
///
/// An entry is tagged with the store's count of committed audit events taken before its read:
/// every change to a request commits with an event, so a change made through this gateway (an
/// approval, a revocation, an expiry) makes every entry read before it a miss at once. A change
/// made by another gateway on the same database is seen here within `freshness`, as with sessions
/// and machine tokens (`RecentReads`). Nothing is decided from an entry that a transaction does
/// not judge again: an action re-reads its request inside the transaction that writes it.
final class RecentStoreReads<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    static var freshness: Duration { .seconds(1) }
    static var capacity: Int { 10_000 }

    private struct Entry {
        let value: Value
        /// `committedAuditEvents` before the read.
        let generation: Int
        let readAt: ContinuousClock.Instant
    }

    private let entries = Mutex<[Key: Entry]>([:])

    /// The value for `key` if it was read within `freshness` and nothing was committed through
    /// this gateway since (`generation` is the store's count now).
    func value(for key: Key, generation: Int, now: ContinuousClock.Instant = .now) -> Value? {
        entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            guard entry.generation == generation, now - entry.readAt < Self.freshness else {
                entries[key] = nil
                return nil
            }
            return entry.value
        }
    }

    /// Keeps what a read found, tagged with the count taken before the read began, so that a
    /// write committed while it ran makes it a miss.
    func remember(_ value: Value, for key: Key, readAfter generation: Int, now: ContinuousClock.Instant = .now) {
        entries.withLock { entries in
            if entries.count >= Self.capacity {
                // Stale entries first; a flood of live keys empties the cache rather than making
                // every new one pay a scan for the oldest.
                entries = entries.filter { now - $0.value.readAt < Self.freshness }
                if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[key] = Entry(value: value, generation: generation, readAt: now)
        }
    }

    /// The value for `key` from the last second's reads, or read now with `read` and kept when
    /// the store found one (what it does not know is asked about each time).
    func value(for key: Key, generation: Int, readingWith read: () async throws -> Value?) async rethrows -> Value? {
        if let recent = value(for: key, generation: generation) { return recent }
        guard let found = try await read() else { return nil }
        remember(found, for: key, readAfter: generation)
        return found
    }
}
