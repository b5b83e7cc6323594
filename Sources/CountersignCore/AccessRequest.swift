import Foundation

/// What a requester asks for, before the policy has looked at it.
public struct RequestDraft: Hashable, Sendable {
    public let target: RequestTarget
    public let reason: String
    public let ticket: String

    public init(target: RequestTarget, reason: String, ticket: String) throws(DomainError) {
        try FieldRules.checkReason(reason)
        try FieldRules.checkTicket(ticket)
        self.target = target
        self.reason = reason
        self.ticket = ticket
    }
}

/// A request as the gateway keeps it: its content (fixed at creation and covered by the content
/// digest), the policy snapshot it was created under, and its progress.
public struct AccessRequest: Hashable, Sendable {
    public let id: RequestID
    public let requester: Username
    public let target: RequestTarget
    public let reason: String
    public let ticket: String
    public let createdAt: Date

    /// The rule that matched at creation, and what it required: later policy edits do not move
    /// the goalposts of a request already in flight.
    public let ruleName: String
    public let requirement: ApprovalRequirement
    /// The rule's certificate terms when the request was filed: what its reviewers approved.
    public let certificateTerms: CertificateTerms
    /// The rule's `single_use` when the request was filed: its approval covers one rollout.
    public let singleUse: Bool
    public let pendingExpiresAt: Date
    /// How long access lasts once approved.
    public let accessDurationSeconds: Int
    /// A break-glass grant's paging and review terms; nil for every other kind.
    public let breakGlassTerms: BreakGlassTerms?

    public internal(set) var state: RequestState
    public internal(set) var updatedAt: Date
    public internal(set) var approvals: [Approval]
    public internal(set) var denial: Denial?
    public internal(set) var accessExpiresAt: Date?
    /// Who closed the request early (cancelled or revoked) and why.
    public internal(set) var closedBy: Username?
    public internal(set) var closeReason: String?
    /// When deploy tooling (or the requester) first said the rollout started.
    public internal(set) var rolloutStart: RolloutStart?
    /// A break-glass grant's review after the fact, once made; made once.
    public internal(set) var breakGlassReview: BreakGlassReview?
    /// When an unreviewed grant past its review window was paged again.
    public internal(set) var reviewEscalatedAt: Date?

    public var kind: RequestKind { target.kind }

    public init(
        id: RequestID, requester: Username, draft: RequestDraft, createdAt: Date,
        ruleName: String, requirement: ApprovalRequirement, certificateTerms: CertificateTerms = .standard,
        singleUse: Bool = false, pendingExpiresAt: Date, accessDurationSeconds: Int, breakGlassTerms: BreakGlassTerms? = nil
    ) {
        self.id = id
        self.requester = requester
        self.target = draft.target
        self.reason = draft.reason
        self.ticket = draft.ticket
        self.createdAt = createdAt.truncatedToMilliseconds
        self.ruleName = ruleName
        self.requirement = requirement
        self.certificateTerms = certificateTerms
        self.singleUse = singleUse
        self.pendingExpiresAt = pendingExpiresAt.truncatedToMilliseconds
        self.accessDurationSeconds = accessDurationSeconds
        self.breakGlassTerms = breakGlassTerms
        self.state = .pending
        self.updatedAt = self.createdAt
        self.approvals = []
        self.denial = nil
        self.accessExpiresAt = nil
        self.rolloutStart = nil
    }

    /// Rebuilds a stored request; the store is trusted to hand back what it was given.
    public init(
        restoring id: RequestID, requester: Username, target: RequestTarget, reason: String, ticket: String,
        createdAt: Date, ruleName: String, requirement: ApprovalRequirement, certificateTerms: CertificateTerms, singleUse: Bool,
        pendingExpiresAt: Date, accessDurationSeconds: Int, state: RequestState, updatedAt: Date, approvals: [Approval],
        denial: Denial?, accessExpiresAt: Date?, closedBy: Username?, closeReason: String?, rolloutStart: RolloutStart?,
        breakGlassTerms: BreakGlassTerms? = nil, breakGlassReview: BreakGlassReview? = nil, reviewEscalatedAt: Date? = nil
    ) {
        self.id = id
        self.requester = requester
        self.target = target
        self.reason = reason
        self.ticket = ticket
        self.createdAt = createdAt
        self.ruleName = ruleName
        self.requirement = requirement
        self.certificateTerms = certificateTerms
        self.singleUse = singleUse
        self.pendingExpiresAt = pendingExpiresAt
        self.accessDurationSeconds = accessDurationSeconds
        self.breakGlassTerms = breakGlassTerms
        self.breakGlassReview = breakGlassReview
        self.reviewEscalatedAt = reviewEscalatedAt
        self.state = state
        self.updatedAt = updatedAt
        self.approvals = approvals
        self.denial = denial
        self.accessExpiresAt = accessExpiresAt
        self.closedBy = closedBy
        self.closeReason = closeReason
        self.rolloutStart = rolloutStart
    }

    public var progress: ClauseAssignment { requirement.assign(approvals) }

    /// The canonical content encoding (docs/canonical-encoding.md): what an approval is bound to.
    public var canonicalContent: CanonicalEncoding {
        var encoding = CanonicalEncoding(tag: "countersign/request-content/v1")
        encoding.append(field: "kind", kind.rawValue)
        encoding.append(field: "requester", requester.rawValue)
        encoding.append(field: "created_at", String(createdAt.millisecondsSinceEpoch))
        for (name, value) in target.fields {
            encoding.append(field: name, value)
        }
        encoding.append(field: "reason", reason)
        encoding.append(field: "ticket", ticket)
        return encoding
    }

    /// SHA-256 of the canonical content, as lowercase hex.
    public var contentDigest: String { canonicalContent.sha256.hexString }
}
