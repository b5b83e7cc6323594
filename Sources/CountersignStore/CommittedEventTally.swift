import Synchronization

/// How many audit events a store has committed since it opened, for the appends counter: a
/// backend adds to it when a transaction commits, never when one rolls back. Whoever waits for
/// new events (the audit stream) is called after each such commit.
public final class CommittedEventTally: Sendable {
    private let committed = Atomic<Int>(0)
    private let observers = Mutex<[@Sendable () -> Void]>([])

    public init() {}

    public var count: Int { committed.load(ordering: .relaxed) }

    public func add(_ events: Int) {
        committed.add(events, ordering: .relaxed)
        guard events > 0 else { return }
        for observer in observers.withLock({ $0 }) { observer() }
    }

    /// `handler` runs after every later commit that appended events, on the committing thread:
    /// it must only note that there is something new (wake a task), never wait.
    public func observe(_ handler: @escaping @Sendable () -> Void) {
        observers.withLock { $0.append(handler) }
    }
}
