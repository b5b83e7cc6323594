import CountersignCore
import Foundation

/// Each audit stream sink's cursor: how far its receiver has acknowledged the log, and which
/// gateway streams it. What a cursor becomes is `AuditStreamRules`; the store keeps it durable,
/// makes every change a compare-and-set on the cursor as it was read, so that two gateways on one
/// database never both take a sink's lease nor both move its cursor, and commits what a change
/// announces with it.
public protocol AuditStreamStore: Sendable {
    func auditStreamCursor(_ sink: AuditSinkName) async throws -> AuditStreamCursor?

    /// Every sink's cursor, by name; sinks no longer configured keep theirs.
    func auditStreamCursors() async throws -> [AuditStreamCursor]

    /// Writes `next` in place of `current` (nil: the sink has no cursor yet, and `next` is its
    /// first) only if the stored cursor is still exactly `current`, compared by the statement
    /// itself, and commits `events` and `notifications` in the same transaction. Whether it was
    /// written: false means another gateway changed the cursor since it was read, and nothing was.
    /// A cursor whose acknowledged sequence would move back, or past the log's head, is refused
    /// (`invalid_change`).
    func replaceAuditStreamCursor(
        _ current: AuditStreamCursor?, with next: AuditStreamCursor, events: [AuditEvent], notifications: [OutboxMessage]
    ) async throws -> Bool

    /// Calls `handler` after every commit that appended audit events through this store, so that
    /// a stream sends them at once rather than at its next look. Commits made by other gateways on
    /// a shared database are not seen: a stream looks at the log on an interval too.
    func whenAuditCommits(_ handler: @escaping @Sendable () -> Void)
}
