import Crypto
import CountersignCore
import Foundation

/// The gateway's durable state, in the words of the domain: requests, their audit trail, signed
/// checkpoints of that trail, and login sessions. Callers depend on this protocol only, so a
/// PostgreSQL backend can replace SQLite without touching them.
///
/// Every method that changes a request or a session also appends its audit events, in the same
/// transaction: either both commit or neither does. When the audit append fails, the action fails
/// (fail closed). Errors are `StoreError`, except that `update` rethrows the `DomainError` of its
/// decision unchanged.
public protocol GatewayStore: Sendable {
    // MARK: Requests

    /// Stores a new request together with its `request.created` audit event.
    func createRequest(_ request: AccessRequest) async throws -> AccessRequest

    /// The request with its approvals, denial and closing, or nil if there is none with that id.
    func request(_ id: RequestID) async throws -> AccessRequest?

    /// Requests matching `query`, newest first.
    func requests(_ query: RequestQuery) async throws -> [AccessRequest]

    /// Changes one request, in one write transaction: loads it, asks `decide` what it becomes
    /// (normally `RequestRules.apply(action, to:at:)`), persists the result and appends the change's
    /// audit events. `decide` sees the committed state it changes, never a stale copy. `now` is
    /// the time the caller decides at; the change itself carries the times the rules stamped, so
    /// SQLite needs nothing more, but a backend that stamps rows of its own has the same clock.
    func update(
        _ id: RequestID, at now: Date, _ decide: @Sendable (AccessRequest) throws -> RequestChange
    ) async throws -> AccessRequest

    /// Expires up to `limit` requests whose pending lifetime or access window has ended by `now`,
    /// each with its audit event, and returns them.
    func expireDue(at now: Date, limit: Int) async throws -> [AccessRequest]

    /// Requests per kind and state, zeros included, for the metrics gauges.
    func requestCounts() async throws -> [RequestCount]

    // MARK: Audit

    /// Appends events that change nothing else (logins, policy reloads).
    func appendAudit(_ events: [AuditEvent]) async throws -> [AuditRecord]

    /// Up to `limit` records with a sequence greater than `sequence`, in order.
    func auditRecords(after sequence: Int64, limit: Int) async throws -> [AuditRecord]

    func auditHead() async throws -> AuditRecord?

    /// Signs the current head of the audit log and records both the checkpoint and an
    /// `audit.checkpoint` event. Nil when the log is empty or nothing happened since the last one.
    func recordCheckpoint(signingKey: Curve25519.Signing.PrivateKey, at now: Date) async throws -> AuditCheckpoint?

    func checkpoints() async throws -> [AuditCheckpoint]

    /// Re-hashes the whole log in order, then checks every signed checkpoint against it.
    func verifyAudit(publicKey: Curve25519.Signing.PublicKey) async throws -> AuditVerification

    // MARK: Sessions

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

    // MARK: Operations

    /// Writes a consistent copy of the live database to a new file at `path` (mode 0600). Refuses
    /// to replace an existing file.
    func backup(to path: String) async throws

    /// Proves that a write reaches the disk now, for the readiness probe.
    func checkWritable() async throws
}
