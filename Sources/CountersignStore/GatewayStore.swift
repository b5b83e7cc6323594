import Crypto
import CountersignCore
import Foundation
import Keyring

/// The gateway's durable state, in the words of the domain: requests, their audit trail, signed
/// checkpoints of that trail, and login sessions. Callers depend on this protocol only, so a
/// PostgreSQL backend can replace SQLite without touching them.
///
/// Every method that changes a request or a session also appends its audit events, in the same
/// transaction: either both commit or neither does. When the audit append fails, the action fails
/// (fail closed). Errors are `StoreError`, except that a decision closure's `DecisionRefusal`
/// (such as a `DomainError`) is rethrown unchanged.
public protocol GatewayStore: Sendable {
    // MARK: Requests

    /// Stores a new request together with its `request.created` audit event.
    func createRequest(_ request: AccessRequest) async throws -> AccessRequest

    /// The request with its approvals, denial and closing, or nil if there is none with that id.
    func request(_ id: RequestID) async throws -> AccessRequest?

    /// Requests matching `query`, newest first.
    func requests(_ query: RequestQuery) async throws -> [AccessRequest]

    /// Up to `limit` request ids greater than `after`, in id order, without reading the rows: an
    /// audit walks every request and must name a damaged one rather than stop at it.
    func requestIDs(after: RequestID?, limit: Int) async throws -> [RequestID]

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
    func recordCheckpoint(signingKey: any SigningKey, at now: Date) async throws -> AuditCheckpoint?

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

    // MARK: Hardware keys

    /// Stores an invite (by the hash of its code) with its audit event.
    func createInvite(_ invite: EnrolmentInvite, event: AuditEvent) async throws

    /// The user's WebAuthn user handle: 16 random bytes, created on first use.
    func userHandle(for user: Username) async throws -> [UInt8]

    /// The keys enrolled for `user`, oldest first.
    func keys(of user: Username) async throws -> [EnrolledKey]

    /// Stores a challenge to be answered once. Refused with `limitReached` when the user already
    /// holds `CeremonyChallenge.maximumOpenPerUser` unexpired, unanswered ones.
    func openChallenge(_ challenge: CeremonyChallenge, at now: Date) async throws

    /// Enrols a key, in one transaction: redeems the registration challenge and the invite for
    /// `user`, asks `verify` for the key (given the challenge, the user handle and the user's
    /// keys), refuses a credential id already enrolled by anyone, stores the key and `events`.
    func enrolKey(
        challengeID: String, inviteCodeHash: [UInt8], user: Username, at now: Date,
        _ verify: @Sendable (_ challenge: CeremonyChallenge, _ userHandle: [UInt8], _ keys: [EnrolledKey]) throws -> (EnrolledKey, [AuditEvent])
    ) async throws -> EnrolledKey

    /// Forgets challenges answered or past their lifetime at `now`; returns how many. A spent
    /// approval challenge needs no keeping: its nonce is stored with the approval's evidence.
    @discardableResult
    func deleteStaleChallenges(at now: Date) async throws -> Int

    /// Removes one of `owner`'s keys with its audit event (an admin's removal). False, and
    /// nothing audited, if there was none.
    @discardableResult
    func removeKey(credentialID: [UInt8], owner: Username, event: AuditEvent) async throws -> Bool

    /// Removes one of `owner`'s keys on a touch of another of their keys, in one transaction:
    /// redeems the key-removal challenge, asks `verify` (given it and the owner's keys) for the
    /// key that answered with its new counter and the events, then removes the target.
    func removeKeyWithTouch(
        challengeID: String, owner: Username, at now: Date,
        _ verify: @Sendable (_ challenge: CeremonyChallenge, _ keys: [EnrolledKey]) throws -> (usedKey: EnrolledKey, events: [AuditEvent])
    ) async throws

    /// Completes a hardware-key approval in one transaction: redeems the approval challenge for
    /// `approver` (then spent whatever follows), loads the request and the approver's keys, and
    /// commits what `decide` returns. A `.refused` outcome still commits its events and flagged
    /// key, then throws its error.
    func approveWithKey(
        challengeID: String, approver: Username, at now: Date,
        _ decide: @Sendable (_ request: AccessRequest, _ challenge: ApprovalChallenge, _ keys: [EnrolledKey]) throws -> KeyApprovalOutcome
    ) async throws -> AccessRequest

    // MARK: Operations

    /// Writes a consistent copy of the live database to a new file at `path` (mode 0600). Refuses
    /// to replace an existing file.
    func backup(to path: String) async throws

    /// Proves that a write reaches the disk now, for the readiness probe.
    func checkWritable() async throws
}
