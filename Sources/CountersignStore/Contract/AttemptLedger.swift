import CountersignCore
import Foundation

/// Attempts counted against limits (failed logins per user, address and both; refused key
/// approvals per approver). The database keeps them, not a gateway's memory, so that every
/// gateway on one database counts the same attempts and a guesser gains nothing by spreading
/// over them.
public protocol AttemptLedger: Sendable {
    /// In one transaction: unless a counter has reached its limit at `now`, counts one attempt
    /// on every counter. Attempts counted at once on several gateways cannot all pass a limit.
    func admit(_ counters: [AttemptCounter], at now: Date) async throws -> AttemptAdmission

    /// Counts one attempt on `counter` whatever its limit (a refusal that already happened).
    func record(_ counter: AttemptCounter, at now: Date) async throws

    /// How long `counter` asks to wait at `now`, without counting anything.
    func retryAfter(_ counter: AttemptCounter, at now: Date) async throws -> TimeInterval?

    /// Takes back the attempt `receipt` counted on `counters` (an attempt that proved no guess),
    /// and forgets every attempt on `reset` (the real user, from where they are).
    func withdraw(_ receipt: AttemptReceipt, from counters: [AttemptCounter], resetting reset: [AttemptCounter]) async throws

    /// Forgets attempts made before `horizon`, which no window reaches any more; returns how many.
    @discardableResult
    func deleteAttempts(before horizon: Date) async throws -> Int
}
