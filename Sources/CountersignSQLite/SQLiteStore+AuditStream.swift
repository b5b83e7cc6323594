import CountersignCore
import CountersignStore
import Foundation
import GRDB

extension SQLiteStore {
    public func auditStreamCursor(_ sink: AuditSinkName) async throws -> AuditStreamCursor? {
        try await read { db in try AuditStreamRows.cursor(sink, in: db) }
    }

    public func auditStreamCursors() async throws -> [AuditStreamCursor] {
        try await read { db in try AuditStreamRows.cursors(in: db) }
    }

    public func replaceAuditStreamCursor(
        _ current: AuditStreamCursor?, with next: AuditStreamCursor, events: [AuditEvent], notifications: [OutboxMessage]
    ) async throws -> Bool {
        try AuditStreamChange.check(current, next)
        return try await write { db in
            if next.acknowledged > 0 {
                guard try AuditStreamRows.recordHash(next.acknowledged, in: db) == next.acknowledgedHash else {
                    throw AuditStreamChange.unknownRecord(next)
                }
            }
            guard try AuditStreamRows.replace(current, with: next, in: db) else { return false }
            try OutboxRows.insert(notifications, in: db)
            _ = try appendAudit(events, in: db)
            return true
        }
    }

    public func whenAuditCommits(_ handler: @escaping @Sendable () -> Void) {
        auditTally.observe(handler)
    }
}
