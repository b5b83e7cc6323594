import Foundation

/// Something someone (or time) does to a request.
public enum RequestAction: Hashable, Sendable {
    /// Approval from an authenticated session, where the rule sets `hardware_key: false`.
    case approve(Actor, method: ApprovalMethod)
    /// Approval by a hardware key whose signature the caller has verified against the challenge
    /// derived from this request's content (the store does both in one transaction).
    case approveWithHardwareKey(Actor, HardwareKeyEvidence)
    case deny(Actor, reason: String)
    case cancel(Actor)
    case revoke(Actor, reason: String)
    /// Time passed a deadline: the pending lifetime, or the end of approved access.
    case expire
}

/// One unit of work on a request: the request after an action, and everything that commits with
/// it in the same transaction or not at all: its audit events, and the credentials it yields.
public struct RequestChange: Hashable, Sendable {
    public let request: AccessRequest
    public let events: [AuditEvent]
    public let issued: [IssuedCredential]
    /// The recording a recorded session's certificate opens, made with it.
    public let recordings: [NewRecording]
    /// What the change announces (a break-glass page, a decision for the requester): committed
    /// with it, so a change is never made without its notices nor a notice sent for a change that
    /// did not happen.
    public let notifications: [OutboxMessage]

    public init(
        request: AccessRequest, events: [AuditEvent], issued: [IssuedCredential] = [], recordings: [NewRecording] = [],
        notifications: [OutboxMessage] = []
    ) {
        self.request = request
        self.events = events
        self.issued = issued
        self.recordings = recordings
        self.notifications = notifications
    }
}

/// The rules of a request's life, in one place: who may do what, in which state, and when. The
/// store calls `apply` inside the transaction that persists the result, so a rule is checked
/// against exactly the state it changes.
public enum RequestRules {
    /// A new request as the store commits it: the request and its `request.created` event.
    public static func create(_ request: AccessRequest) -> RequestChange {
        RequestChange(request: request, events: [creationEvent(for: request)])
    }

    static func creationEvent(for request: AccessRequest) -> AuditEvent {
        var details = Dictionary(request.target.fields.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        details["kind"] = request.kind.rawValue
        details["rule"] = request.ruleName
        details["content_digest"] = request.contentDigest
        details["reason"] = request.reason
        details["ticket"] = request.ticket
        details["requirement"] = request.requirement.clauses.map(\.description).joined(separator: " and ")
        return AuditEvent(time: request.createdAt, actor: request.requester.rawValue, action: .requestCreated, subject: request.id.rawValue, details: details)
    }

    /// The deadline that `expire` would act on now, if it has passed.
    public static func isDueToExpire(_ request: AccessRequest, at now: Date) -> Bool {
        switch request.state {
        case .pending: now >= request.pendingExpiresAt
        case .approved: request.accessExpiresAt.map { now >= $0 } ?? false
        case .denied, .cancelled, .expired, .revoked: false
        }
    }

    /// Whether `actor` may approve or deny: a member of a group the requirement names, and never
    /// the requester.
    public static func mayReview(_ request: AccessRequest, actor: Actor) -> Bool {
        actor.name != request.requester && !request.requirement.reviewerGroups.isDisjoint(with: actor.groups)
    }

    /// Whether the request waits on `actor`: pending, theirs to review, not yet approved by them.
    public static func awaitsReview(_ request: AccessRequest, by actor: Actor) -> Bool {
        request.state == .pending && mayReview(request, actor: actor) && !request.approvals.contains { $0.approver == actor.name }
    }

    /// Requests are visible to the people involved and to those who oversee the gateway; to
    /// anyone else they do not exist.
    public static func mayView(_ request: AccessRequest, actor: Actor) -> Bool {
        oversees(actor)
            || actor.name == request.requester
            || !request.requirement.reviewerGroups.isDisjoint(with: actor.groups)
            || request.approvals.contains { $0.approver == actor.name }
            || !(request.breakGlassTerms?.reviewers ?? []).isDisjoint(with: actor.groups)
    }

    /// Auditors and admins see every request.
    public static func oversees(_ actor: Actor) -> Bool {
        actor.groups.contains(WellKnownGroup.auditors) || actor.groups.contains(WellKnownGroup.admins)
    }

    /// Whether `request` belongs in a listing for `audience`: the rule a store applies inside
    /// its query, so that a page holds only rows the caller may see.
    public static func belongs(_ request: AccessRequest, to audience: RequestAudience) -> Bool {
        switch audience {
        case .viewer(let actor): mayView(request, actor: actor)
        case .reviewer(let actor): awaitsReview(request, by: actor)
        }
    }

    public static func apply(_ action: RequestAction, to request: AccessRequest, at now: Date) throws(DomainError) -> RequestChange {
        switch action {
        case .approve(let actor, let method): try approve(request, by: actor, method: method, evidence: nil, at: now)
        case .approveWithHardwareKey(let actor, let evidence): try approve(request, by: actor, method: .hardwareKey, evidence: evidence, at: now)
        case .deny(let actor, let reason): try deny(request, by: actor, reason: reason, at: now)
        case .cancel(let actor): try cancel(request, by: actor, at: now)
        case .revoke(let actor, let reason): try revoke(request, by: actor, reason: reason, at: now)
        case .expire: try expire(request, at: now)
        }
    }

    private static func approve(
        _ request: AccessRequest, by actor: Actor, method: ApprovalMethod, evidence: HardwareKeyEvidence?, at now: Date
    ) throws(DomainError) -> RequestChange {
        // Checked first and whatever the policy says: no rule can make a requester their own approver.
        guard actor.name != request.requester else {
            throw DomainError(.selfApproval, "you cannot approve your own request")
        }
        try requireOpen(request, in: .pending, for: "approved", at: now)
        guard mayReview(request, actor: actor) else {
            throw DomainError(.notEligible, "approvals for this request come from \(request.requirement.reviewerGroups.sorted().joined(separator: ", ")); you are in none of them")
        }
        guard !request.approvals.contains(where: { $0.approver == actor.name }) else {
            throw DomainError(.alreadyApproved, "you have already approved this request; an approver counts once")
        }
        let approval: Approval
        switch (method, evidence) {
        case (.hardwareKey, let evidence?):
            approval = Approval(approver: actor.name, groups: actor.groups, at: now.truncatedToMilliseconds, evidence: evidence)
        case (.session, nil) where !request.requirement.hardwareKeyRequired:
            approval = Approval(approver: actor.name, groups: actor.groups, at: now.truncatedToMilliseconds, method: .session)
        default:
            throw DomainError(.hardwareKeyRequired, "rule \(request.ruleName) requires approval with an enrolled hardware security key")
        }
        var next = request
        next.approvals.append(approval)
        next.updatedAt = now.truncatedToMilliseconds
        let progress = next.progress
        var events = [event(.approvalRecorded, next, actor: actor.name.rawValue, at: now, ["progress": progress.description, "method": method.rawValue])]
        if progress.isSatisfied {
            next.state = .approved
            next.accessExpiresAt = now.addingTimeInterval(TimeInterval(request.accessDurationSeconds)).truncatedToMilliseconds
            events.append(event(.requestApproved, next, actor: actor.name.rawValue, at: now, [
                "approvers": next.approvals.map(\.approver.rawValue).joined(separator: ","),
                "access_expires_at": String(next.accessExpiresAt?.millisecondsSinceEpoch ?? 0),
                "content_digest": request.contentDigest,
            ]))
        }
        return RequestChange(request: next, events: events)
    }

    private static func deny(_ request: AccessRequest, by actor: Actor, reason: String, at now: Date) throws(DomainError) -> RequestChange {
        guard actor.name != request.requester else {
            throw DomainError(.forbidden, "you cannot review your own request; cancel it instead")
        }
        try requireOpen(request, in: .pending, for: "denied", at: now)
        guard mayReview(request, actor: actor) else {
            throw DomainError(.notEligible, "only reviewers from \(request.requirement.reviewerGroups.sorted().joined(separator: ", ")) may deny this request")
        }
        try FieldRules.checkReason(reason)
        var next = request
        next.state = .denied
        next.updatedAt = now.truncatedToMilliseconds
        next.denial = Denial(by: actor.name, reason: reason, at: now.truncatedToMilliseconds)
        return RequestChange(request: next, events: [event(.requestDenied, next, actor: actor.name.rawValue, at: now, ["reason": reason])])
    }

    private static func cancel(_ request: AccessRequest, by actor: Actor, at now: Date) throws(DomainError) -> RequestChange {
        try refuseBreakGlass(request)
        guard actor.name == request.requester else {
            throw DomainError(.forbidden, "only the requester can cancel a request")
        }
        try requireOpen(request, in: .pending, for: "cancelled", at: now)
        var next = request
        next.state = .cancelled
        next.updatedAt = now.truncatedToMilliseconds
        next.closedBy = actor.name
        return RequestChange(request: next, events: [event(.requestCancelled, next, actor: actor.name.rawValue, at: now, [:])])
    }

    private static func revoke(_ request: AccessRequest, by actor: Actor, reason: String, at now: Date) throws(DomainError) -> RequestChange {
        try refuseBreakGlass(request)
        guard actor.name == request.requester || actor.groups.contains(WellKnownGroup.admins) else {
            throw DomainError(.forbidden, "only the requester or an admin can revoke an approved request")
        }
        try requireOpen(request, in: .approved, for: "revoked", at: now)
        try FieldRules.checkReason(reason)
        var next = request
        next.state = .revoked
        next.updatedAt = now.truncatedToMilliseconds
        next.closedBy = actor.name
        next.closeReason = reason
        return RequestChange(request: next, events: [event(.requestRevoked, next, actor: actor.name.rawValue, at: now, ["reason": reason])])
    }

    private static func expire(_ request: AccessRequest, at now: Date) throws(DomainError) -> RequestChange {
        guard isDueToExpire(request, at: now) else {
            throw DomainError(.invalidState, "request \(request.id) is \(request.state) and not due to expire")
        }
        let was = request.state
        var next = request
        next.state = .expired
        next.updatedAt = now.truncatedToMilliseconds
        return RequestChange(request: next, events: [event(.requestExpired, next, actor: AuditEvent.systemActor, at: now, ["was": was.rawValue])])
    }

    /// A grant ends with the resolve of its pages (`BreakGlassRules.end`), never as a bare request.
    private static func refuseBreakGlass(_ request: AccessRequest) throws(DomainError) {
        guard request.kind != .breakGlass else {
            throw DomainError(.invalidState, "\(request.id) is a break-glass grant: end it with `countersign break-glass end` (POST /v1/break-glass/{id}/end)")
        }
    }

    /// The request must be in `state` and not past the deadline of that state.
    static func requireOpen(_ request: AccessRequest, in state: RequestState, for outcome: String, at now: Date) throws(DomainError) {
        guard request.state == state else {
            throw DomainError(.invalidState, "request \(request.id) is \(request.state) and can no longer be \(outcome)")
        }
        guard !isDueToExpire(request, at: now) else {
            throw DomainError(.requestExpired, "request \(request.id) has expired")
        }
    }

    static func event(_ action: AuditAction, _ request: AccessRequest, actor: String, at now: Date, _ details: [String: String]) -> AuditEvent {
        AuditEvent(time: now, actor: actor, action: action, subject: request.id.rawValue, details: details)
    }
}
