import CountersignCore
import Foundation

/// A request as the columns of its row, the same on every backend: what is written at creation
/// and on each change, and what a read hands back to be rebuilt through the domain's checks.
public struct StoredRequest: Sendable {
    public var id: String
    public var kind: String
    public var requester: String
    /// The canonical JSON object of the target's fields (`RequestTarget.fields`).
    public var target: String
    public var reason: String
    public var ticket: String
    public var createdAt: Int64
    public var contentDigest: [UInt8]
    public var ruleName: String
    /// The JSON of a `StoredRequirement`.
    public var requirement: String
    public var pendingExpiresAt: Int64
    public var accessDurationSeconds: Int64
    public var state: String
    public var updatedAt: Int64
    public var accessExpiresAt: Int64?
    public var deniedBy: String?
    public var denialReason: String?
    public var deniedAt: Int64?
    public var closedBy: String?
    public var closeReason: String?
    /// The JSON of a `StoredCertificateTerms`; nil in rows written before requests kept terms.
    public var certificateTerms: String?
    public var singleUse: Bool
    /// The first rollout start (`RolloutStart`): both or neither.
    public var rolloutStartedAt: Int64?
    /// A `DeployCaller`'s audit actor.
    public var rolloutStartedBy: String?

    public init(
        id: String, kind: String, requester: String, target: String, reason: String, ticket: String, createdAt: Int64,
        contentDigest: [UInt8], ruleName: String, requirement: String, pendingExpiresAt: Int64, accessDurationSeconds: Int64,
        state: String, updatedAt: Int64, accessExpiresAt: Int64?, deniedBy: String?, denialReason: String?, deniedAt: Int64?,
        closedBy: String?, closeReason: String?, certificateTerms: String?, singleUse: Bool, rolloutStartedAt: Int64?,
        rolloutStartedBy: String?
    ) {
        self.id = id
        self.kind = kind
        self.requester = requester
        self.target = target
        self.reason = reason
        self.ticket = ticket
        self.createdAt = createdAt
        self.contentDigest = contentDigest
        self.ruleName = ruleName
        self.requirement = requirement
        self.pendingExpiresAt = pendingExpiresAt
        self.accessDurationSeconds = accessDurationSeconds
        self.state = state
        self.updatedAt = updatedAt
        self.accessExpiresAt = accessExpiresAt
        self.deniedBy = deniedBy
        self.denialReason = denialReason
        self.deniedAt = deniedAt
        self.closedBy = closedBy
        self.closeReason = closeReason
        self.certificateTerms = certificateTerms
        self.singleUse = singleUse
        self.rolloutStartedAt = rolloutStartedAt
        self.rolloutStartedBy = rolloutStartedBy
    }

    /// The columns of `request`, its digest computed from its content.
    public init(_ request: AccessRequest) throws {
        self.init(
            id: request.id.rawValue, kind: request.kind.rawValue, requester: request.requester.rawValue,
            target: StoredJSON.encode(Dictionary(request.target.fields.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })),
            reason: request.reason, ticket: request.ticket, createdAt: request.createdAt.millisecondsSinceEpoch,
            contentDigest: request.canonicalContent.sha256, ruleName: request.ruleName,
            requirement: try StoredJSON.encode(StoredRequirement(request.requirement)),
            pendingExpiresAt: request.pendingExpiresAt.millisecondsSinceEpoch,
            accessDurationSeconds: Int64(request.accessDurationSeconds), state: request.state.rawValue,
            updatedAt: request.updatedAt.millisecondsSinceEpoch, accessExpiresAt: request.accessExpiresAt?.millisecondsSinceEpoch,
            deniedBy: request.denial?.by.rawValue, denialReason: request.denial?.reason,
            deniedAt: request.denial?.at.millisecondsSinceEpoch, closedBy: request.closedBy?.rawValue, closeReason: request.closeReason,
            certificateTerms: try StoredJSON.encode(StoredCertificateTerms(request.certificateTerms)),
            singleUse: request.singleUse, rolloutStartedAt: request.rolloutStart?.at.millisecondsSinceEpoch,
            rolloutStartedBy: request.rolloutStart?.by.auditActor
        )
    }

    /// Rebuilds the request with its approvals and, for a break-glass grant, its grant's row
    /// (`grant`, which every `break_glass` request has and no other), through the same checks as
    /// at creation: a damaged row is `corrupt_row`, and content that no longer matches its digest
    /// is `integrity_violation` naming the request.
    public func restore(approvals: [Approval], grant: StoredBreakGlassGrant?) throws(StoreError) -> AccessRequest {
        let row = RowRestorer(table: "requests", key: id)
        let id = try row.domain(id, "id", RequestID.init)
        let kind = try row.domain(kind, "kind") { text throws(DomainError) in
            guard let kind = RequestKind(rawValue: text) else { throw DomainError(.invalidField, "unknown kind") }
            return kind
        }
        let fields = try row.json(target, "target") { reader throws(StoredJSONReader.Failure) in try reader.readStringMap() }
        let target = try row.build("target") { () throws(DomainError) in try RequestTarget(kind: kind, fields: fields) }
        // The same checks as at creation: a row edited to carry control characters must not reach
        // a reviewer's screen.
        let draft = try row.build("content") { () throws(DomainError) in
            try RequestDraft(target: target, reason: reason, ticket: ticket)
        }
        let storedRequirement = try row.json(requirement, "requirement", StoredRequirement.init(reading:))
        let certificateTerms = try certificateTerms.map { text throws(StoreError) in
            let stored = try row.json(text, "certificate_terms", StoredCertificateTerms.init(reading:))
            return try row.build("certificate_terms", stored.terms)
        } ?? .standard
        let state = try row.domain(state, "state") { text throws(DomainError) in
            guard let state = RequestState(rawValue: text) else { throw DomainError(.invalidField, "unknown state") }
            return state
        }
        let denial: Denial?
        switch (deniedBy, denialReason, deniedAt) {
        case (nil, nil, nil):
            denial = nil
        case (let by?, let reason?, let at?):
            denial = Denial(by: try row.domain(by, "denied_by", Username.init), reason: reason, at: row.time(at))
        default:
            throw row.corrupt("a denial missing its denier, reason or time")
        }
        let rolloutStart: RolloutStart?
        switch (rolloutStartedAt, rolloutStartedBy) {
        case (nil, nil):
            rolloutStart = nil
        case (let at?, let by?):
            rolloutStart = RolloutStart(at: row.time(at), by: try row.domain(by, "rollout_started_by", DeployCaller.init(auditActor:)))
        default:
            throw row.corrupt("a rollout start missing its time or who started it")
        }
        guard let accessDuration = Int(exactly: accessDurationSeconds) else {
            throw row.corrupt("access_duration_seconds is out of range")
        }
        let requirement = try row.build("requirement", storedRequirement.requirement)
        let breakGlass = try grant.map { grant throws(StoreError) in try grant.restore(createdAt: createdAt) }
        switch (kind == .breakGlass, breakGlass == nil) {
        case (true, true): throw row.corrupt("a break-glass grant without its break_glass_grants row")
        case (false, false): throw row.corrupt("a \(kind) request with a break_glass_grants row")
        default: break
        }
        // Only a grant that needs nobody's agreement goes without a clause: on any other request
        // an empty requirement would let it be approved by no one.
        if requirement.clauses.isEmpty, kind != .breakGlass {
            throw row.corrupt("requirement: a \(kind) request without an approval clause")
        }
        let request = AccessRequest(
            restoring: id, requester: try row.domain(requester, "requester", Username.init), target: draft.target,
            reason: draft.reason, ticket: draft.ticket, createdAt: row.time(createdAt), ruleName: ruleName,
            requirement: requirement, certificateTerms: certificateTerms,
            singleUse: singleUse, pendingExpiresAt: row.time(pendingExpiresAt), accessDurationSeconds: accessDuration,
            state: state, updatedAt: row.time(updatedAt), approvals: approvals, denial: denial,
            accessExpiresAt: row.time(accessExpiresAt),
            closedBy: try closedBy.map { text throws(StoreError) in try row.domain(text, "closed_by", Username.init) },
            closeReason: closeReason, rolloutStart: rolloutStart,
            breakGlassTerms: breakGlass?.terms, breakGlassReview: breakGlass?.review, reviewEscalatedAt: breakGlass?.escalatedAt
        )
        // Approvals are bound to the content digest: content edited behind the gateway's back must
        // not be shown as what reviewers approved.
        guard try row.bytes(contentDigest, "content_digest", count: 32) == request.canonicalContent.sha256 else {
            throw StoreError(
                .integrityViolation, "request \(id)'s stored content no longer matches the digest its approvals are bound to",
                subject: id.rawValue
            )
        }
        return request
    }

    /// A request id as a `requests` row holds it: one that is not a request id is a corrupt row.
    public static func requestID(_ raw: String) throws(StoreError) -> RequestID {
        do {
            return try RequestID(raw)
        } catch {
            throw StoreError.corruptRow(table: "requests", key: raw, "id is not a request id")
        }
    }
}
