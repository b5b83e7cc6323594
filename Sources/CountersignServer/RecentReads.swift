import Foundation
import Synchronization

/// Values read from the store within the last second, by the hash of the secret that found them
/// (a session token, a machine token), so that a burst of requests with one secret costs one
/// store read. Ending one on this gateway (`forget`) takes it out at once; an end made on another
/// gateway on the same database is seen here within `freshness`. Whatever a value says about its
/// own lifetime is checked by its user on every use, whatever the cache holds.
///
/// Only what the store found is kept: a secret the store does not know is asked about each time,
/// so a revoked or forged one is never answered from memory.
final class RecentReads<Value: Sendable>: Sendable {
    /// How stale a cached value may be: the longest an end on another gateway goes unseen.
    static var freshness: Duration { .seconds(1) }
    static var capacity: Int { 10_000 }

    private struct Entry {
        let value: Value
        let readAt: ContinuousClock.Instant
    }

    private struct State {
        var entries: [[UInt8]: Entry] = [:]
        /// Ended here within `freshness`: a read that began before the end and finishes after it
        /// must not put the value back.
        var ended: [[UInt8]: ContinuousClock.Instant] = [:]
    }

    private let state = Mutex(State())

    /// The cached value for `hash` if it was read within `freshness`.
    func value(for hash: [UInt8], now: ContinuousClock.Instant = .now) -> Value? {
        state.withLock { state in
            guard let entry = state.entries[hash] else { return nil }
            guard now - entry.readAt < Self.freshness else {
                state.entries[hash] = nil
                return nil
            }
            return entry.value
        }
    }

    func remember(_ value: Value, for hash: [UInt8], now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            if let ended = state.ended[hash] {
                guard now - ended >= Self.freshness else { return }
                state.ended[hash] = nil
            }
            if state.entries.count >= Self.capacity {
                // Stale entries first; a flood of live secrets empties the cache rather than
                // making every new one pay a scan for the oldest.
                state.entries = state.entries.filter { now - $0.value.readAt < Self.freshness }
                if state.entries.count >= Self.capacity { state.entries.removeAll(keepingCapacity: true) }
            }
            state.entries[hash] = Entry(value: value, readAt: now)
        }
    }

    /// Takes a value out, and keeps it out for `freshness`, when it ends on this gateway.
    func forget(_ hash: [UInt8], now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            state.entries[hash] = nil
            if state.ended.count >= Self.capacity { state.ended = state.ended.filter { now - $0.value < Self.freshness } }
            state.ended[hash] = now
        }
    }
}
