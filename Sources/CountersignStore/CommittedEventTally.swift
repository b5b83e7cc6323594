import Synchronization

/// How many audit events a store has committed since it opened, for the appends counter: a
/// backend adds to it when a transaction commits, never when one rolls back.
public final class CommittedEventTally: Sendable {
    private let committed = Atomic<Int>(0)

    public init() {}

    public var count: Int { committed.load(ordering: .relaxed) }

    public func add(_ events: Int) {
        committed.add(events, ordering: .relaxed)
    }
}
