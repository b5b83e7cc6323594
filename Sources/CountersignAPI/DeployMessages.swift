import Foundation

/// `POST /v1/deploys/check`: may this exact rollout go ahead now?
public struct DeployCheckBody: Codable, Sendable {
    public let service: String
    public let environment: String
    /// The full 40-hex commit or `sha256:` digest the rollout ships, as the request names it.
    public let commit: String
    /// Record that the rollout starts now (audited); a single-use approval is then spent.
    /// Deploy tooling needs `deploy:consume` for it.
    public let consume: Bool?
    /// Answer with a deploy token for the approval (`countersign check --token-out`). A
    /// single-use approval yields its one token only with `consume`.
    public let deployToken: Bool?

    public init(service: String, environment: String, commit: String, consume: Bool? = nil, deployToken: Bool? = nil) {
        self.service = service
        self.environment = environment
        self.commit = commit
        self.consume = consume
        self.deployToken = deployToken
    }
}

/// The approval a rollout goes ahead under (answered only when there is one: every refusal is an
/// error status, so that a tool checking the status alone still fails closed).
public struct DeployCheckView: Codable, Sendable, Equatable {
    public let approved: Bool
    public let requestId: String
    public let requester: String
    public let service: String
    public let environment: String
    public let commit: String
    public let reason: String
    public let ticket: String
    public let approvals: [ApprovalView]
    /// When the approval's window closes: a rollout must start before then.
    public let accessExpiresAt: Date
    /// Whether the approval covers one rollout only: then tooling passes `consume` when it starts.
    public let singleUse: Bool
    /// The first recorded rollout start under this approval, and who said so (a username or
    /// `machine:<name>`).
    public let rolloutStartedAt: Date?
    public let rolloutStartedBy: String?
    /// Present when `deploy_token` was asked for.
    public let deployToken: DeployTokenView?

    public init(
        requestId: String, requester: String, service: String, environment: String, commit: String, reason: String, ticket: String,
        approvals: [ApprovalView], accessExpiresAt: Date, singleUse: Bool, rolloutStartedAt: Date?, rolloutStartedBy: String?,
        deployToken: DeployTokenView?
    ) {
        self.approved = true
        self.requestId = requestId
        self.requester = requester
        self.service = service
        self.environment = environment
        self.commit = commit
        self.reason = reason
        self.ticket = ticket
        self.approvals = approvals
        self.accessExpiresAt = accessExpiresAt
        self.singleUse = singleUse
        self.rolloutStartedAt = rolloutStartedAt
        self.rolloutStartedBy = rolloutStartedBy
        self.deployToken = deployToken
    }
}
