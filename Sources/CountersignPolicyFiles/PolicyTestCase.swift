import CountersignCore

/// One case of a policy test file: a request, the approvals it then gets, and what should happen.
public struct PolicyTestCase: Hashable, Sendable {
    public let name: String
    /// Where the case is written (`tests/deploy.yaml:12`), so a failure points at it.
    public let location: SourceLocation
    public let requester: Username
    public let draft: RequestDraft
    /// Approvers in order, each approving the way `approvalMethod` says.
    public let approvers: [Username]
    /// `approve_with:` — a touch of an enrolled key (the default, as reviewers approve), or a
    /// session, to show that a rule requiring a key refuses it.
    public let approvalMethod: ApprovalMethod
    public let expectation: PolicyTestExpectation
    /// The rule that must decide the request, when the case names one.
    public let expectedRule: String?

    public init(
        name: String, location: SourceLocation, requester: Username, draft: RequestDraft,
        approvers: [Username], approvalMethod: ApprovalMethod = .hardwareKey, expectation: PolicyTestExpectation, expectedRule: String? = nil
    ) {
        self.name = name
        self.location = location
        self.requester = requester
        self.draft = draft
        self.approvers = approvers
        self.approvalMethod = approvalMethod
        self.expectation = expectation
        self.expectedRule = expectedRule
    }
}

/// What a case expects, as written after `expect:`.
public enum PolicyTestExpectation: Hashable, Sendable, CustomStringConvertible {
    /// Admitted, and approved by the approvals given.
    case approved
    /// Admitted, and still waiting after the approvals given.
    case pending
    /// Not admitted: no rule matches, or the matching rule refuses it.
    case refused
    /// An error with this code, from admission (`no_matching_rule`, `policy_refused`) or from
    /// an approval (`self_approval`, `not_eligible`, `hardware_key_required`, `already_approved`).
    case error(DomainError.Code)

    public init?(_ text: String) {
        switch text {
        case "approved": self = .approved
        case "pending": self = .pending
        case "refused": self = .refused
        default:
            guard let code = DomainError.Code(rawValue: text) else { return nil }
            self = .error(code)
        }
    }

    public static var spellings: [String] {
        ["approved", "pending", "refused"] + DomainError.Code.allCases.map(\.rawValue)
    }

    public var description: String {
        switch self {
        case .approved: "approved"
        case .pending: "pending"
        case .refused: "refused"
        case .error(let code): code.rawValue
        }
    }

    public func isMet(by outcome: PolicyTestOutcome) -> Bool {
        switch (self, outcome) {
        case (.approved, .approved), (.pending, .pending), (.refused, .refused): true
        case (.error(let code), .refused(let error, _)), (.error(let code), .approvalFailed(_, let error, _)): error.code == code
        default: false
        }
    }
}
