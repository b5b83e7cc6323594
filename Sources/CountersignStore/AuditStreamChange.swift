import CountersignCore

/// What a backend checks of a cursor replacement before it writes anything, the same on every
/// backend: one sink, an acknowledged sequence that never moves back, and (inside the
/// transaction) a record the log has under that sequence and hash.
public enum AuditStreamChange {
    public static func check(_ current: AuditStreamCursor?, _ next: AuditStreamCursor) throws(StoreError) {
        if let current, current.sink != next.sink {
            throw StoreError(.invalidChange, "the cursor of sink \(current.sink) cannot become sink \(next.sink)'s")
        }
        guard next.acknowledged >= (current?.acknowledged ?? 0) else {
            throw StoreError(.invalidChange, "the cursor of sink \(next.sink) cannot move back from \(current?.acknowledged ?? 0) to \(next.acknowledged)")
        }
        if next.acknowledged == 0, next.acknowledgedHash != AuditChain.genesisHash {
            throw unknownRecord(next)
        }
        if let holder = next.holder, !AuditStreamRules.isHolder(holder) {
            throw StoreError(.invalidChange, "the cursor of sink \(next.sink) names a holder that is not a gateway's name")
        }
        guard (next.holder == nil) == (next.leasedUntil == nil) else {
            throw StoreError(.invalidChange, "the cursor of sink \(next.sink) has a holder without a lease, or a lease without a holder")
        }
    }

    /// The refusal of a cursor that names no record of the log: past the head, or with another hash.
    public static func unknownRecord(_ next: AuditStreamCursor) -> StoreError {
        StoreError(.invalidChange, "the cursor of sink \(next.sink) names sequence \(next.acknowledged) with a hash the log does not have there")
    }
}
