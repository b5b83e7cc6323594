import CountersignStore
import Foundation
import Synchronization

/// Sessions read from the store within the last second, by token hash, so that a burst of
/// requests with one token costs one store read. A logout on this gateway takes its session out
/// at once; one made on another gateway on the same database is seen here within `freshness`.
/// Expiry is checked on every use, against the gateway's clock, whatever the cache holds.
///
/// Only sessions that exist are kept: a token the store does not know is asked about each time,
/// so a revoked or forged one is never answered from memory.
final class SessionCache: Sendable {
    /// How stale a cached session may be: the longest a logout on another gateway goes unseen.
    static let freshness: Duration = .seconds(1)
    static let capacity = 10_000

    private struct Entry {
        let session: LoginSession
        let readAt: ContinuousClock.Instant
    }

    private struct State {
        var entries: [[UInt8]: Entry] = [:]
        /// Sessions ended here within `freshness`: a read that began before the end and finishes
        /// after it must not put the session back.
        var ended: [[UInt8]: ContinuousClock.Instant] = [:]
    }

    private let state = Mutex(State())

    /// The cached session for `tokenHash` if it was read within `freshness`.
    func session(tokenHash: [UInt8], now: ContinuousClock.Instant = .now) -> LoginSession? {
        state.withLock { state in
            guard let entry = state.entries[tokenHash] else { return nil }
            guard now - entry.readAt < Self.freshness else {
                state.entries[tokenHash] = nil
                return nil
            }
            return entry.session
        }
    }

    func remember(_ session: LoginSession, now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            if let ended = state.ended[session.tokenHash] {
                guard now - ended >= Self.freshness else { return }
                state.ended[session.tokenHash] = nil
            }
            if state.entries.count >= Self.capacity {
                // Stale entries first; a flood of live tokens empties the cache rather than
                // making every new one pay a scan for the oldest.
                state.entries = state.entries.filter { now - $0.value.readAt < Self.freshness }
                if state.entries.count >= Self.capacity { state.entries.removeAll(keepingCapacity: true) }
            }
            state.entries[session.tokenHash] = Entry(session: session, readAt: now)
        }
    }

    /// Takes a session out, and keeps it out for `freshness`, when it ends on this gateway.
    func forget(tokenHash: [UInt8], now: ContinuousClock.Instant = .now) {
        state.withLock { state in
            state.entries[tokenHash] = nil
            if state.ended.count >= Self.capacity { state.ended = state.ended.filter { now - $0.value < Self.freshness } }
            state.ended[tokenHash] = now
        }
    }
}
