import CountersignCore

/// How a hardware-key approval attempt ends, decided inside the store's transaction.
public enum KeyApprovalOutcome: Sendable {
    /// Every check passed: the change, and the key with its new counter, commit together.
    case approved(RequestChange, usedKey: EnrolledKey)
    /// Refused. The challenge is spent all the same, and `events` (and a key flagged as possibly
    /// cloned) commit before `error` is thrown to the caller.
    case refused(any Error, flaggedKey: EnrolledKey?, events: [AuditEvent])
}
