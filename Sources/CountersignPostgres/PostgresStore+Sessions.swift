import CountersignCore
import CountersignStore
import Foundation
import PostgresNIO

extension PostgresStore: SessionStore {
    public func createSession(_ session: LoginSession, event: AuditEvent) async throws {
        let records = try await transaction { connection in
            // ON CONFLICT rather than a read first: two gateways inserting the same hash at once
            // still see exactly one succeed.
            let inserted = try await Self.count(connection.query("""
                INSERT INTO sessions (token_hash, username, created_at, expires_at)
                VALUES (\(Data(session.tokenHash)), \(session.username.rawValue),
                        \(session.createdAt.millisecondsSinceEpoch), \(session.expiresAt.millisecondsSinceEpoch))
                ON CONFLICT (token_hash) DO NOTHING RETURNING 1
                """, logger: logger))
            guard inserted == 1 else { throw StoreError(.alreadyExists, "a session with this token already exists") }
            return try await append([event], on: connection)
        }
        auditTally.add(records.count)
    }

    public func session(tokenHash: [UInt8], at now: Date) async throws -> LoginSession? {
        let session = try await read { connection -> LoginSession? in
            for try await (storedHash, username, createdAt, expiresAt) in try await connection.query(
                "SELECT token_hash, username, created_at, expires_at FROM sessions WHERE token_hash = \(Data(tokenHash))",
                logger: logger
            ).decode((Data, String, Int64, Int64).self) {
                // Even a token hash stays out of error messages.
                let key = "(token hash withheld)"
                guard storedHash.count == 32 else { throw StoreError.corruptRow(table: "sessions", key: key, "token_hash is not 32 bytes") }
                let user: Username
                do throws(DomainError) {
                    user = try Username(username)
                } catch {
                    throw StoreError.corruptRow(table: "sessions", key: key, "username: \(error.message)")
                }
                return LoginSession(
                    tokenHash: Array(storedHash), username: user,
                    createdAt: Date(millisecondsSinceEpoch: createdAt), expiresAt: Date(millisecondsSinceEpoch: expiresAt)
                )
            }
            return nil
        }
        return session.flatMap { $0.isValid(at: now) ? $0 : nil }
    }

    @discardableResult
    public func deleteSession(tokenHash: [UInt8], event: AuditEvent) async throws -> Bool {
        let records = try await transaction { connection -> [AuditRecord] in
            let deleted = try await Self.count(connection.query(
                "DELETE FROM sessions WHERE token_hash = \(Data(tokenHash)) RETURNING 1", logger: logger
            ))
            guard deleted > 0 else { return [] }
            return try await append([event], on: connection)
        }
        auditTally.add(records.count)
        return !records.isEmpty
    }

    @discardableResult
    public func deleteExpiredSessions(at now: Date) async throws -> Int {
        try await transaction { connection in
            try await Self.count(connection.query(
                "DELETE FROM sessions WHERE expires_at <= \(now.millisecondsSinceEpoch) RETURNING 1", logger: logger
            ))
        }
    }

    /// How many rows a statement returned: what `RETURNING 1` turns into a count of rows changed.
    static func count(_ rows: PostgresRowSequence) async throws -> Int {
        var count = 0
        for try await _ in rows { count += 1 }
        return count
    }
}
