import CountersignCore
import CountersignStore
import Foundation
import PostgresNIO

extension PostgresStore: AuditStreamStore {
    public func auditStreamCursor(_ sink: AuditSinkName) async throws -> AuditStreamCursor? {
        try await read { connection in try await AuditStreamRows.cursors(sink, on: connection, logger: logger).first }
    }

    public func auditStreamCursors() async throws -> [AuditStreamCursor] {
        try await read { connection in try await AuditStreamRows.cursors(nil, on: connection, logger: logger) }
    }

    public func replaceAuditStreamCursor(
        _ current: AuditStreamCursor?, with next: AuditStreamCursor, events: [AuditEvent], notifications: [OutboxMessage]
    ) async throws -> Bool {
        try AuditStreamChange.check(current, next)
        let (replaced, appended) = try await transaction { connection -> (Bool, Int) in
            if next.acknowledged > 0 {
                guard try await AuditStreamRows.recordHash(next.acknowledged, on: connection, logger: logger) == next.acknowledgedHash else {
                    throw AuditStreamChange.unknownRecord(next)
                }
            }
            guard try await AuditStreamRows.replace(current, with: next, on: connection, logger: logger) else { return (false, 0) }
            try await OutboxRows.insert(notifications, on: connection, logger: logger)
            // Last: the chain's head stays locked for as short a time as it can.
            return (true, try await append(events, on: connection).count)
        }
        auditTally.add(appended)
        return replaced
    }

    public func whenAuditCommits(_ handler: @escaping @Sendable () -> Void) {
        auditTally.observe(handler)
    }
}
