import CountersignCore

/// One case of a policy test file: a request and the approvals it then gets, or an attempt to
/// break glass, and what should happen.
public struct PolicyTestCase: Hashable, Sendable {
    public enum Subject: Hashable, Sendable {
        /// A request filed by `requester`, then approved by `approvers` in order, each the way
        /// `approvalMethod` says (`approve_with:`): a touch of an enrolled key (the default, as
        /// reviewers approve), or a session, to show that a rule requiring a key refuses it.
        case request(requester: Username, draft: RequestDraft, approvers: [Username], approvalMethod: ApprovalMethod)
        /// `user` breaks glass with `ask`, holding the key `key` says.
        case breakGlass(user: Username, ask: BreakGlassAsk, key: KeyHolding)
    }

    /// The user's own key at a break-glass attempt, as `key:` writes it.
    public enum KeyHolding: String, Hashable, Sendable, CaseIterable {
        /// No enrolled key (the default).
        case none
        /// An enrolled key, not touched for this attempt.
        case enrolled
        /// An enrolled key, touched over this attempt.
        case touched
    }

    public let name: String
    /// Where the case is written (`tests/deploy.yaml:12`), so a failure points at it.
    public let location: SourceLocation
    public let subject: Subject
    public let expectation: PolicyTestExpectation
    /// The rule that must decide, when the case names one.
    public let expectedRule: String?

    public init(name: String, location: SourceLocation, subject: Subject, expectation: PolicyTestExpectation, expectedRule: String? = nil) {
        self.name = name
        self.location = location
        self.subject = subject
        self.expectation = expectation
        self.expectedRule = expectedRule
    }
}
