/// The gateway's durable state, one protocol per concern, in the words of the domain. Callers
/// ask for the narrowest one they use; a backend (SQLite, PostgreSQL) conforms to all of them,
/// so that replacing one changes no caller.
///
/// The contract every backend keeps, whatever the concern:
/// - A unit of work (`RequestChange`: a change, its audit events, the credentials it yields, the
///   notifications it sends) commits in one transaction: all of it or none of it.
///   When the audit append fails, the action fails (fail closed).
/// - A decision closure (`decide`, `verify`) sees the committed state it changes, inside the
///   transaction that persists its result, never a stale copy; it is pure and synchronous, so a
///   backend is free to do its own I/O around it.
/// - The store decides nothing: every rule comes from `CountersignCore`, and the store only
///   persists what the rules returned.
/// - Errors are `StoreError`, except that a decision closure's `DecisionRefusal` (such as a
///   `DomainError`) is rethrown unchanged.
public protocol GatewayStore: RequestStore, CredentialStore, AuditLog, SessionStore, HardwareKeyStore, MachineTokenStore, RecordingStore, OutboxStore, AuditStreamStore, BreakGlassStore, AttemptLedger, StoreMaintenance {}
