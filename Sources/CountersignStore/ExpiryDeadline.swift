import Foundation

/// The deadlines a store selects requests by for expiry, in the stored milliseconds.
public enum ExpiryDeadline {
    /// The latest stored deadline that has passed at `now` by `RequestRules.isDueToExpire`
    /// (`now >= deadline`). Deadlines are stored as whole milliseconds and `now` is not: rounding
    /// `now` to the nearest millisecond would select a request up to half a millisecond before the
    /// rule calls it due, and the rule's refusal would fail the whole expiry batch. Rounding down
    /// selects exactly the requests the rule expires.
    public static func latestPassed(at now: Date) -> Int64 {
        Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
    }
}
