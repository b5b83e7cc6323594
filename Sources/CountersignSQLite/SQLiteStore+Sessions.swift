import CountersignStore
import CountersignCore
import Foundation
import GRDB

extension SQLiteStore {
    public func createSession(_ session: LoginSession, event: AuditEvent) async throws {
        try await write { db in
            let taken = try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM sessions WHERE token_hash = ?)", arguments: [Data(session.tokenHash)]
            ) ?? false
            guard !taken else { throw StoreError(.alreadyExists, "a session with this token already exists") }
            try db.execute(
                sql: "INSERT INTO sessions (token_hash, username, created_at, expires_at) VALUES (?, ?, ?, ?)",
                arguments: [
                    Data(session.tokenHash), session.username.rawValue, session.createdAt.millisecondsSinceEpoch,
                    session.expiresAt.millisecondsSinceEpoch,
                ]
            )
            _ = try appendAudit([event], in: db)
        }
    }

    public func session(tokenHash: [UInt8], at now: Date) async throws -> LoginSession? {
        let session = try await read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT token_hash, username, created_at, expires_at FROM sessions WHERE token_hash = ?"),
                arguments: [Data(tokenHash)]
            ).map { row throws(StoreError) in
                // Even a token hash stays out of error messages.
                let stored = StoredRow(row: row, table: "sessions", key: "(token hash withheld)")
                return LoginSession(
                    tokenHash: try stored.bytes("token_hash", count: 32), username: try stored.domain("username", Username.init),
                    createdAt: try stored.time("created_at"), expiresAt: try stored.time("expires_at")
                )
            }
        }
        return session.flatMap { $0.isValid(at: now) ? $0 : nil }
    }

    @discardableResult
    public func deleteSession(tokenHash: [UInt8], event: AuditEvent) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE token_hash = ?", arguments: [Data(tokenHash)])
            guard db.changesCount > 0 else { return false }
            _ = try appendAudit([event], in: db)
            return true
        }
    }

    @discardableResult
    public func deleteExpiredSessions(at now: Date) async throws -> Int {
        try await write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE expires_at <= ?", arguments: [now.millisecondsSinceEpoch])
            return db.changesCount
        }
    }
}
