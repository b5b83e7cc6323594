import Foundation

/// How an approval was made. Hardware-key approvals arrive with the WebAuthn work and carry
/// their evidence; until then the only method is an authenticated API call.
public enum ApprovalMethod: String, Hashable, Sendable, Codable {
    /// An authenticated session, without a hardware key: only where the policy explicitly allows.
    case session
}

/// One reviewer's approval. The approver's groups are kept as they were at approval time so that
/// re-evaluating the requirement later gives the same answer whatever happened to membership.
public struct Approval: Hashable, Sendable {
    public let approver: Username
    public let groups: Set<String>
    public let at: Date
    public let method: ApprovalMethod

    public init(approver: Username, groups: Set<String>, at: Date, method: ApprovalMethod) {
        self.approver = approver
        self.groups = groups
        self.at = at
        self.method = method
    }
}

public struct Denial: Hashable, Sendable {
    public let by: Username
    public let reason: String
    public let at: Date

    public init(by: Username, reason: String, at: Date) {
        self.by = by
        self.reason = reason
        self.at = at
    }
}

/// Someone who acts on a request, with the groups they belong to now.
public struct Actor: Hashable, Sendable {
    public let name: Username
    public let groups: Set<String>

    public init(name: Username, groups: Set<String>) {
        self.name = name
        self.groups = groups
    }
}
