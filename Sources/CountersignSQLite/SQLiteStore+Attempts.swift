import CountersignCore
import CountersignStore
import Foundation
import GRDB

extension SQLiteStore {
    public func admit(_ counters: [AttemptCounter], at now: Date) async throws -> AttemptAdmission {
        var generator = SystemRandomNumberGenerator()
        let receipt = AttemptReceipt.issue(at: now, using: &generator)
        // A write transaction even when it refuses: SQLite serialises writers, so no other
        // admission reads the counts between these reads and the inserts.
        return try await write { db in
            let waits = try counters.map { counter in (counter, try Self.retryAfter(counter, at: now, in: db)) }
            if let (first, _) = waits.first(where: { $0.1 != nil }), let longest = waits.compactMap(\.1).max() {
                return .refused(first, retryAfter: longest)
            }
            for counter in counters { try Self.insert(counter, receipt: receipt, in: db) }
            return .admitted(receipt)
        }
    }

    public func record(_ counter: AttemptCounter, at now: Date) async throws {
        var generator = SystemRandomNumberGenerator()
        let receipt = AttemptReceipt.issue(at: now, using: &generator)
        try await write { db in try Self.insert(counter, receipt: receipt, in: db) }
    }

    public func retryAfter(_ counter: AttemptCounter, at now: Date) async throws -> TimeInterval? {
        try await read { db in try Self.retryAfter(counter, at: now, in: db) }
    }

    public func withdraw(_ receipt: AttemptReceipt, from counters: [AttemptCounter], resetting reset: [AttemptCounter]) async throws {
        try await write { db in
            for counter in counters {
                try db.executeCached(
                    sql: "DELETE FROM attempts WHERE scope = ? AND key = ? AND receipt = ?",
                    arguments: [counter.scope.rawValue, counter.key, receipt.id]
                )
            }
            for counter in reset {
                try db.executeCached(sql: "DELETE FROM attempts WHERE scope = ? AND key = ?", arguments: [counter.scope.rawValue, counter.key])
            }
        }
    }

    @discardableResult
    public func deleteAttempts(before horizon: Date) async throws -> Int {
        try await write { db in
            try db.execute(sql: "DELETE FROM attempts WHERE at < ?", arguments: [horizon.millisecondsSinceEpoch])
            return db.changesCount
        }
    }

    private static func retryAfter(_ counter: AttemptCounter, at now: Date, in db: Database) throws -> TimeInterval? {
        let recent = try Int64.fetchAll(
            db.cachedStatement(sql: "SELECT at FROM attempts WHERE scope = ? AND key = ? AND at > ? ORDER BY at DESC LIMIT ?"),
            arguments: [
                counter.scope.rawValue, counter.key, counter.limit.horizon(at: now).millisecondsSinceEpoch, counter.limit.attempts,
            ]
        )
        return counter.limit.retryAfter(recent: recent.map(Date.init(millisecondsSinceEpoch:)), at: now)
    }

    private static func insert(_ counter: AttemptCounter, receipt: AttemptReceipt, in db: Database) throws {
        try db.executeCached(
            sql: "INSERT INTO attempts (scope, key, receipt, at) VALUES (?, ?, ?, ?)",
            arguments: [counter.scope.rawValue, counter.key, receipt.id, receipt.at.millisecondsSinceEpoch]
        )
    }
}
