import Foundation

/// `POST /v1/requests`. Kind-specific fields are optional here and required by kind when the
/// server turns the body into a domain draft.
public struct CreateRequestBody: Codable, Sendable, Equatable {
    public var kind: String
    public var service: String?
    public var environment: String?
    public var commit: String?
    public var host: String?
    public var login: String?
    public var durationSeconds: Int?
    public var reason: String
    public var ticket: String

    public init(
        kind: String, service: String? = nil, environment: String? = nil, commit: String? = nil,
        host: String? = nil, login: String? = nil, durationSeconds: Int? = nil, reason: String, ticket: String
    ) {
        self.kind = kind
        self.service = service
        self.environment = environment
        self.commit = commit
        self.host = host
        self.login = login
        self.durationSeconds = durationSeconds
        self.reason = reason
        self.ticket = ticket
    }
}

/// `POST /v1/requests/{id}/deny` and `/revoke`.
public struct ReasonBody: Codable, Sendable, Equatable {
    public let reason: String

    public init(reason: String) {
        self.reason = reason
    }
}

public struct TargetView: Codable, Sendable, Equatable {
    public var service: String?
    public var environment: String?
    public var commit: String?
    public var host: String?
    public var login: String?
    public var durationSeconds: Int?

    public init(
        service: String? = nil, environment: String? = nil, commit: String? = nil,
        host: String? = nil, login: String? = nil, durationSeconds: Int? = nil
    ) {
        self.service = service
        self.environment = environment
        self.commit = commit
        self.host = host
        self.login = login
        self.durationSeconds = durationSeconds
    }
}

public struct ClauseView: Codable, Sendable, Equatable {
    public let group: String
    public let required: Int
    public let approvers: [String]
    public let satisfied: Bool

    public init(group: String, required: Int, approvers: [String], satisfied: Bool) {
        self.group = group
        self.required = required
        self.approvers = approvers
        self.satisfied = satisfied
    }
}

/// The certificate terms an SSH request was filed under, for reviewers to read before approving.
public struct CertificateTermsView: Codable, Sendable, Equatable {
    public let lifetimeSeconds: Int
    /// Empty for anywhere.
    public let sourceAddress: [String]
    public let forceCommand: String?
    /// `port_forwarding`, `agent_forwarding`, `x11_forwarding`; a terminal is always permitted.
    public let forwarding: [String]
    /// `off`, `output`, or `output_and_input`: what the recorder keeps of each session.
    public let recording: String

    public init(lifetimeSeconds: Int, sourceAddress: [String], forceCommand: String?, forwarding: [String], recording: String) {
        self.lifetimeSeconds = lifetimeSeconds
        self.sourceAddress = sourceAddress
        self.forceCommand = forceCommand
        self.forwarding = forwarding
        self.recording = recording
    }
}

/// How a deploy request's approval is used: whether it covers one rollout, and the first start.
public struct RolloutView: Codable, Sendable, Equatable {
    public let singleUse: Bool
    public let startedAt: Date?
    /// A username, or `machine:<token name>` for deploy tooling.
    public let startedBy: String?

    public init(singleUse: Bool, startedAt: Date?, startedBy: String?) {
        self.singleUse = singleUse
        self.startedAt = startedAt
        self.startedBy = startedBy
    }
}

public struct RequirementView: Codable, Sendable, Equatable {
    public let rule: String
    public let hardwareKeyRequired: Bool
    public let clauses: [ClauseView]
    public let satisfied: Bool
    /// "sre: 1 of 1 ✓ · payments-owners: 0 of 1"
    public let summary: String

    public init(rule: String, hardwareKeyRequired: Bool, clauses: [ClauseView], satisfied: Bool, summary: String) {
        self.rule = rule
        self.hardwareKeyRequired = hardwareKeyRequired
        self.clauses = clauses
        self.satisfied = satisfied
        self.summary = summary
    }
}

public struct ApprovalView: Codable, Sendable, Equatable {
    public let approver: String
    public let at: Date
    public let method: String

    public init(approver: String, at: Date, method: String) {
        self.approver = approver
        self.at = at
        self.method = method
    }
}

public struct DenialView: Codable, Sendable, Equatable {
    public let by: String
    public let reason: String
    public let at: Date

    public init(by: String, reason: String, at: Date) {
        self.by = by
        self.reason = reason
        self.at = at
    }
}

/// A request as the API shows it. This shape is documented in openapi.yaml and is what
/// `countersign … --json` prints: add fields, never rename or remove them.
public struct RequestView: Codable, Sendable, Equatable {
    public let id: String
    public let kind: String
    public let state: String
    public let requester: String
    public let target: TargetView
    public let reason: String
    public let ticket: String
    public let contentDigest: String
    public let createdAt: Date
    public let updatedAt: Date
    public let pendingExpiresAt: Date
    public let accessExpiresAt: Date?
    public let accessDurationSeconds: Int
    public let requirement: RequirementView
    public let approvals: [ApprovalView]
    public let denial: DenialView?
    public let closedBy: String?
    public let closeReason: String?
    /// What the request's certificates say beyond who and when; SSH requests only.
    public let certificate: CertificateTermsView?
    /// Deploy requests only.
    public let rollout: RolloutView?
    /// Whether the caller may approve or deny it now.
    public let callerMayReview: Bool

    public init(
        id: String, kind: String, state: String, requester: String, target: TargetView, reason: String, ticket: String,
        contentDigest: String, createdAt: Date, updatedAt: Date, pendingExpiresAt: Date, accessExpiresAt: Date?,
        accessDurationSeconds: Int, requirement: RequirementView, approvals: [ApprovalView], denial: DenialView?,
        closedBy: String?, closeReason: String?, certificate: CertificateTermsView?, rollout: RolloutView?,
        callerMayReview: Bool
    ) {
        self.id = id
        self.kind = kind
        self.state = state
        self.requester = requester
        self.target = target
        self.reason = reason
        self.ticket = ticket
        self.contentDigest = contentDigest
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.pendingExpiresAt = pendingExpiresAt
        self.accessExpiresAt = accessExpiresAt
        self.accessDurationSeconds = accessDurationSeconds
        self.requirement = requirement
        self.approvals = approvals
        self.denial = denial
        self.closedBy = closedBy
        self.closeReason = closeReason
        self.certificate = certificate
        self.rollout = rollout
        self.callerMayReview = callerMayReview
    }
}

public struct RequestListView: Codable, Sendable, Equatable {
    public let requests: [RequestView]
    /// Pass as `before` to get the next (older) page; absent on the last page.
    public let nextCursor: String?

    public init(requests: [RequestView], nextCursor: String?) {
        self.requests = requests
        self.nextCursor = nextCursor
    }
}

/// `GET /v1/requests/{id}/explain`: how the policy sees a request.
public struct ExplanationView: Codable, Sendable, Equatable {
    public let requestId: String
    public let rule: String
    /// file:line of the rule in the policy now loaded, if it is still there.
    public let ruleSource: String?
    /// Whether the rule matching this request under the current policy is still the one it was created under.
    public let currentRule: String?
    public let state: String
    public let requirement: RequirementView
    /// Sentences saying what is still needed, empty once satisfied.
    public let missing: [String]

    public init(requestId: String, rule: String, ruleSource: String?, currentRule: String?, state: String, requirement: RequirementView, missing: [String]) {
        self.requestId = requestId
        self.rule = rule
        self.ruleSource = ruleSource
        self.currentRule = currentRule
        self.state = state
        self.requirement = requirement
        self.missing = missing
    }
}
