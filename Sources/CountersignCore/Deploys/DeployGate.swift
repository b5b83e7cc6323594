import Foundation

/// Why the deploy gate refuses a rollout: each a reason deploy tooling prints and never proceeds on.
public enum DeployRefusal: Error, Hashable, Sendable {
    /// No deploy request names exactly this service, environment and commit.
    case noRequest
    /// Filed but not (yet) approved: how far it has got.
    case pending(progress: String)
    case denied(by: Username, reason: String)
    case cancelled
    /// Approved once; its window has closed (or it lapsed unapproved).
    case expired
    case revoked(by: Username?, reason: String?)
    /// A single-use approval whose rollout has started: it covers no other.
    case consumed(RolloutStart)

    /// Stable, for the API's error codes and the CLI's scripts.
    public var code: String {
        switch self {
        case .noRequest: "deploy_not_requested"
        case .pending: "deploy_pending"
        case .denied: "deploy_denied"
        case .cancelled: "deploy_cancelled"
        case .expired: "deploy_expired"
        case .revoked: "deploy_revoked"
        case .consumed: "deploy_consumed"
        }
    }
}

/// The answer for one rollout: the request that approves it, or why there is none.
public enum DeployVerdict: Hashable, Sendable {
    case approved(AccessRequest)
    case refused(DeployRefusal)
}

/// Whether a rollout of `target` may go ahead at `now`. Pure: the store hands over every deploy
/// request for exactly that target, and the answer depends on nothing else.
public enum DeployGate {
    /// Approved when any of `requests` is approved with its access window open; otherwise the
    /// refusal of the most recent one, so that a denial or revocation after an older approval
    /// lapsed is what the tooling hears. Requests for another target are ignored: a caller that
    /// passes them gets no approval out of them.
    public static func verdict(for target: DeployTarget, among requests: [AccessRequest], at now: Date) -> DeployVerdict {
        let matching = requests.filter { $0.target == .deploy(target) }
        if let open = matching.filter({ isOpen($0, at: now) })
            .max(by: { ($0.accessExpiresAt ?? .distantPast) < ($1.accessExpiresAt ?? .distantPast) }) {
            return .approved(open)
        }
        guard let latest = matching.max(by: { ($0.createdAt, $0.id.rawValue) < ($1.createdAt, $1.id.rawValue) }) else {
            return .refused(.noRequest)
        }
        if latest.state == .approved, latest.singleUse, let start = latest.rolloutStart {
            return .refused(.consumed(start))
        }
        switch latest.state {
        case .pending where !RequestRules.isDueToExpire(latest, at: now):
            return .refused(.pending(progress: latest.progress.description))
        case .pending, .approved, .expired:
            return .refused(.expired)
        case .denied:
            return .refused(.denied(by: latest.denial?.by ?? latest.requester, reason: latest.denial?.reason ?? ""))
        case .cancelled:
            return .refused(.cancelled)
        case .revoked:
            return .refused(.revoked(by: latest.closedBy, reason: latest.closeReason))
        }
    }

    /// Approved, its window open, and (when single-use) not yet spent. An approved request
    /// without the end of its window is refused, not taken as open-ended.
    static func isOpen(_ request: AccessRequest, at now: Date) -> Bool {
        request.state == .approved && request.accessExpiresAt.map { now < $0 } == true
            && !(request.singleUse && request.rolloutStart != nil)
    }

    /// The unit of work of `--consume`: records that the rollout of `target` under `request`
    /// starts now, with its `deploy.rollout_started` event. Checked inside the transaction that
    /// commits it, so that of two gateways consuming one single-use approval at once exactly one
    /// succeeds. Every start is audited; the request keeps the first. Throws the gate's
    /// `DeployRefusal` when it would refuse the rollout, and `DomainError` when a person other
    /// than the requester tries to start it (deploy tooling needs `deploy:consume`, which the
    /// caller checks).
    public static func startRollout(of target: DeployTarget, under request: AccessRequest, by caller: DeployCaller, at now: Date) throws -> RequestChange {
        if case .refused(let refusal) = verdict(for: target, among: [request], at: now) { throw refusal }
        if case .person(let name) = caller, name != request.requester {
            throw DomainError(.forbidden, "only \(request.requester), who asked for this rollout, or deploy tooling with deploy:consume may start it")
        }
        var next = request
        let start = RolloutStart(at: now, by: caller)
        if next.rolloutStart == nil {
            next.rolloutStart = start
            next.updatedAt = start.at
        }
        let event = RequestRules.event(.deployRolloutStarted, next, actor: caller.auditActor, at: now, [
            "service": target.service, "environment": target.environment, "commit": target.commit.description,
            "single_use": String(request.singleUse), "first_start": String(request.rolloutStart == nil),
        ])
        return RequestChange(request: next, events: [event])
    }

    /// The deploy token the gate hands out for `target` with a rollout start (`--consume
    /// --token-out`; `request` as the start left it), or with its answer for an approval that is
    /// not single-use (`--token-out`; then only while the gate approves the rollout, throwing its
    /// `DeployRefusal` otherwise): the requester's, taken by them or by deploy tooling that the
    /// caller found authorised for the service. Throws `DomainError` when the grant is refused.
    public static func tokenGrant(
        of target: DeployTarget, for request: AccessRequest, to caller: DeployCaller, startingRollout: Bool,
        lifetime: TimeInterval, at now: Date
    ) throws -> CredentialGrant {
        let holder = switch caller {
        case .person(let name): name
        case .tooling: request.requester
        }
        guard startingRollout else {
            if case .refused(let refusal) = verdict(for: target, among: [request], at: now) { throw refusal }
            return try CredentialRules.grant(.deployToken, for: request, to: holder, lifetime: lifetime, at: now)
        }
        return try CredentialRules.windowGrant(.deployToken, for: request, to: holder, lifetime: lifetime, at: now)
    }

    /// Whether `next` is `current` with nothing but its first rollout start recorded: the one
    /// change to a request that may commit with the credential it yields.
    public static func onlyStartsRollout(_ next: AccessRequest, from current: AccessRequest) -> Bool {
        guard current.rolloutStart == nil, let start = next.rolloutStart else { return false }
        var probe = current
        probe.rolloutStart = start
        probe.updatedAt = start.at
        return probe == next
    }
}
