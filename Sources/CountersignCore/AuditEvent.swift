import Foundation

/// The name of something that happened, as audit rows and metrics spell it. A struct rather than
/// an enum so later modules (credentials, break-glass) add their own without touching the core.
public struct AuditAction: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static let loginSucceeded = AuditAction(rawValue: "login.succeeded")
    public static let loginFailed = AuditAction(rawValue: "login.failed")
    public static let loginThrottled = AuditAction(rawValue: "login.throttled")
    public static let logout = AuditAction(rawValue: "logout")
    public static let requestCreated = AuditAction(rawValue: "request.created")
    public static let requestRefused = AuditAction(rawValue: "request.refused")
    public static let approvalRecorded = AuditAction(rawValue: "request.approval_recorded")
    public static let requestApproved = AuditAction(rawValue: "request.approved")
    public static let requestDenied = AuditAction(rawValue: "request.denied")
    public static let requestCancelled = AuditAction(rawValue: "request.cancelled")
    public static let requestExpired = AuditAction(rawValue: "request.expired")
    public static let requestRevoked = AuditAction(rawValue: "request.revoked")
    public static let credentialIssued = AuditAction(rawValue: "credential.issued")
    /// Deploy tooling (or the requester) said a rollout under an approval starts now.
    public static let deployRolloutStarted = AuditAction(rawValue: "deploy.rollout_started")
    public static let policyLoaded = AuditAction(rawValue: "policy.loaded")
    public static let policyReloadFailed = AuditAction(rawValue: "policy.reload_failed")
    public static let auditCheckpoint = AuditAction(rawValue: "audit.checkpoint")
    /// Stored content found changed behind the gateway's back.
    public static let integrityViolation = AuditAction(rawValue: "integrity.violation")
    public static let backupTaken = AuditAction(rawValue: "admin.backup")
    public static let keyInviteCreated = AuditAction(rawValue: "key.invite_created")
    public static let keyEnrolled = AuditAction(rawValue: "key.enrolled")
    public static let keyRemoved = AuditAction(rawValue: "key.removed")
    public static let keyApprovalRefused = AuditAction(rawValue: "key.approval_refused")
    public static let keyPossiblyCloned = AuditAction(rawValue: "key.possibly_cloned")
    /// A signing key's next generation published, with when it starts signing.
    public static let keyRotationScheduled = AuditAction(rawValue: "key.rotation_scheduled")
    /// A signing key withdrawn at once as compromised, and the one that signs instead.
    public static let keyDistrusted = AuditAction(rawValue: "key.distrusted")
}

/// One thing that happened, before the store gives it a place in the chain.
public struct AuditEvent: Hashable, Sendable {
    public let time: Date
    /// Who did it: a username, the attempted name of a failed login, or `system`.
    public let actor: String
    public let action: AuditAction
    /// What it was done to: a request id, a username, a policy directory.
    public let subject: String
    public let details: [String: String]

    public static let systemActor = "system"
    public static let maximumFieldLength = 256
    public static let maximumDetailsLength = 16 * 1024

    public init(time: Date, actor: String, action: AuditAction, subject: String, details: [String: String] = [:]) {
        self.time = time.truncatedToMilliseconds
        self.actor = Self.bounded(actor, to: Self.maximumFieldLength)
        self.action = action
        self.subject = Self.bounded(subject, to: Self.maximumFieldLength)
        self.details = details.mapValues { Self.bounded($0, to: Self.maximumDetailsLength) }
    }

    /// Audit rows must never grow without limit from attacker-chosen input (a 1 MB username in
    /// a failed login); the cut is marked so nobody mistakes it for the whole value.
    static func bounded(_ text: String, to limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var prefix = Substring(text.prefix(limit))
        while prefix.utf8.count > limit { prefix = prefix.dropLast() }
        return prefix + "…[truncated]"
    }
}

/// An event with its place in the hash chain.
public struct AuditRecord: Hashable, Sendable {
    public let sequence: Int64
    public let event: AuditEvent
    public let previousHash: [UInt8]
    public let hash: [UInt8]

    public init(sequence: Int64, event: AuditEvent, previousHash: [UInt8], hash: [UInt8]) {
        self.sequence = sequence
        self.event = event
        self.previousHash = previousHash
        self.hash = hash
    }
}
