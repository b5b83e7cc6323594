import Foundation

/// Why the deploy gate refuses a rollout: each a reason deploy tooling prints and never proceeds on.
public enum DeployRefusal: Hashable, Sendable {
    /// No deploy request names exactly this service, environment and commit.
    case noRequest
    /// Filed but not (yet) approved: how far it has got.
    case pending(progress: String)
    case denied(by: Username, reason: String)
    case cancelled
    /// Approved once; its window has closed (or it lapsed unapproved).
    case expired
    case revoked(by: Username?, reason: String?)

    /// Stable, for the API's error codes and the CLI's scripts.
    public var code: String {
        switch self {
        case .noRequest: "deploy_not_requested"
        case .pending: "deploy_pending"
        case .denied: "deploy_denied"
        case .cancelled: "deploy_cancelled"
        case .expired: "deploy_expired"
        case .revoked: "deploy_revoked"
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
        // An approved request without the end of its window is refused, not taken as open-ended.
        if let open = matching.filter({ $0.state == .approved && $0.accessExpiresAt.map { now < $0 } == true })
            .max(by: { ($0.accessExpiresAt ?? .distantPast) < ($1.accessExpiresAt ?? .distantPast) }) {
            return .approved(open)
        }
        guard let latest = matching.max(by: { ($0.createdAt, $0.id.rawValue) < ($1.createdAt, $1.id.rawValue) }) else {
            return .refused(.noRequest)
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
}
