import Foundation

/// `POST /v1/deploys/check`: may this exact rollout go ahead now?
public struct DeployCheckBody: Codable, Sendable {
    public let service: String
    public let environment: String
    /// The full 40-hex commit or `sha256:` digest the rollout ships, as the request names it.
    public let commit: String

    public init(service: String, environment: String, commit: String) {
        self.service = service
        self.environment = environment
        self.commit = commit
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

    public init(
        requestId: String, requester: String, service: String, environment: String, commit: String, reason: String, ticket: String,
        approvals: [ApprovalView], accessExpiresAt: Date
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
    }
}
