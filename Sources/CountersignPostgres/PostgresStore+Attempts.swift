import CountersignCore
import CountersignStore
import Foundation
import PostgresNIO

extension PostgresStore: AttemptLedger {
    public func admit(_ counters: [AttemptCounter], at now: Date) async throws -> AttemptAdmission {
        var generator = SystemRandomNumberGenerator()
        let receipt = AttemptReceipt.issue(at: now, using: &generator)
        return try await transaction { connection in
            // Counts read under READ COMMITTED would let two gateways both pass a limit: each
            // counter is locked for the rest of the transaction first, in one order everywhere so
            // that two admissions never wait on each other's locks.
            for counter in Set(counters).sorted(by: Self.lockOrder) {
                try await connection.query(
                    "SELECT pg_advisory_xact_lock(\(Self.attemptLock), hashtext(\(counter.scope.rawValue + "/" + counter.key)))", logger: logger
                )
            }
            var waits: [(AttemptCounter, TimeInterval?)] = []
            for counter in counters { waits.append((counter, try await retryAfter(counter, at: now, on: connection))) }
            if let (first, _) = waits.first(where: { $0.1 != nil }), let longest = waits.compactMap(\.1).max() {
                return .refused(first, retryAfter: longest)
            }
            for counter in counters { try await insert(counter, receipt: receipt, on: connection) }
            return .admitted(receipt)
        }
    }

    public func record(_ counter: AttemptCounter, at now: Date) async throws {
        var generator = SystemRandomNumberGenerator()
        let receipt = AttemptReceipt.issue(at: now, using: &generator)
        try await transaction { connection in try await insert(counter, receipt: receipt, on: connection) }
    }

    public func retryAfter(_ counter: AttemptCounter, at now: Date) async throws -> TimeInterval? {
        try await read { connection in try await retryAfter(counter, at: now, on: connection) }
    }

    public func withdraw(_ receipt: AttemptReceipt, from counters: [AttemptCounter], resetting reset: [AttemptCounter]) async throws {
        try await transaction { connection in
            for counter in counters {
                try await connection.query(
                    "DELETE FROM attempts WHERE scope = \(counter.scope.rawValue) AND key = \(counter.key) AND receipt = \(receipt.id)",
                    logger: logger
                )
            }
            for counter in reset {
                try await connection.query("DELETE FROM attempts WHERE scope = \(counter.scope.rawValue) AND key = \(counter.key)", logger: logger)
            }
        }
    }

    @discardableResult
    public func deleteAttempts(before horizon: Date) async throws -> Int {
        try await transaction { connection in
            try await Self.count(connection.query(
                "DELETE FROM attempts WHERE at < \(horizon.millisecondsSinceEpoch) RETURNING 1", logger: logger
            ))
        }
    }

    /// The first key of the advisory locks on attempt counters ("ATMP"); the second is the
    /// counter's hash.
    static let attemptLock: Int32 = 0x4154_4D50

    private static func lockOrder(_ left: AttemptCounter, _ right: AttemptCounter) -> Bool {
        (left.scope.rawValue, left.key) < (right.scope.rawValue, right.key)
    }

    private func retryAfter(_ counter: AttemptCounter, at now: Date, on connection: PostgresConnection) async throws -> TimeInterval? {
        var recent: [Date] = []
        for try await at in try await connection.query("""
            SELECT at FROM attempts WHERE scope = \(counter.scope.rawValue) AND key = \(counter.key)
                AND at > \(counter.limit.horizon(at: now).millisecondsSinceEpoch)
            ORDER BY at DESC LIMIT \(counter.limit.attempts)
            """, logger: logger).decode(Int64.self) {
            recent.append(Date(millisecondsSinceEpoch: at))
        }
        return counter.limit.retryAfter(recent: recent, at: now)
    }

    private func insert(_ counter: AttemptCounter, receipt: AttemptReceipt, on connection: PostgresConnection) async throws {
        try await connection.query("""
            INSERT INTO attempts (scope, key, receipt, at)
            VALUES (\(counter.scope.rawValue), \(counter.key), \(receipt.id), \(receipt.at.millisecondsSinceEpoch))
            """, logger: logger)
    }
}
