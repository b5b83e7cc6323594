import CountersignCore
import Foundation

/// Login sessions, kept by the hash of their token only.
public protocol SessionStore: Sendable {
    /// Stores a session (by token hash) with its `login.succeeded` event.
    func createSession(_ session: LoginSession, event: AuditEvent) async throws

    /// The session with that token hash, or nil if there is none or it has expired at `now`.
    func session(tokenHash: [UInt8], at now: Date) async throws -> LoginSession?

    /// Ends a session (logout) with its audit event. False, and nothing audited, if there was none.
    @discardableResult
    func deleteSession(tokenHash: [UInt8], event: AuditEvent) async throws -> Bool

    /// Forgets sessions expired at `now`; returns how many.
    @discardableResult
    func deleteExpiredSessions(at now: Date) async throws -> Int
}
