import CountersignCore

/// What a case expects, as written after `expect:`.
public enum PolicyTestExpectation: Hashable, Sendable, CustomStringConvertible {
    /// Admitted, and approved by the approvals given.
    case approved
    /// Admitted, and still waiting after the approvals given.
    case pending
    /// Not admitted: no rule matches, or the matching rule refuses it (a request or break-glass).
    case refused
    /// An error with this code, from admission (`no_matching_rule`, `policy_refused`) or from
    /// an approval (`self_approval`, `not_eligible`, `hardware_key_required`, `already_approved`).
    case error(DomainError.Code)
    /// Break-glass admitted and active at once.
    case active
    /// Break-glass admitted, waiting for the second person's agreement its rule asks for.
    case awaitingAgreement
    /// Break-glass refused with this code (`break_glass_not_on_call`, …).
    case breakGlassRefused(BreakGlassRefusal.Code)

    /// The spelling of a request case's expectation, or nil.
    public init?(request text: String) {
        switch text {
        case "approved": self = .approved
        case "pending": self = .pending
        case "refused": self = .refused
        default:
            guard let code = DomainError.Code(rawValue: text) else { return nil }
            self = .error(code)
        }
    }

    /// The spelling of a break-glass case's expectation, or nil.
    public init?(breakGlass text: String) {
        switch text {
        case "active": self = .active
        case "awaiting_agreement": self = .awaitingAgreement
        case "refused": self = .refused
        default:
            guard let code = BreakGlassRefusal.Code(rawValue: text) else { return nil }
            self = .breakGlassRefused(code)
        }
    }

    public static var requestSpellings: [String] {
        ["approved", "pending", "refused"] + DomainError.Code.allCases.map(\.rawValue)
    }

    public static var breakGlassSpellings: [String] {
        ["active", "awaiting_agreement", "refused"] + BreakGlassRefusal.Code.allCases.map(\.rawValue)
    }

    public var description: String {
        switch self {
        case .approved: "approved"
        case .pending: "pending"
        case .refused: "refused"
        case .error(let code): code.rawValue
        case .active: "active"
        case .awaitingAgreement: "awaiting_agreement"
        case .breakGlassRefused(let code): code.rawValue
        }
    }

    public func isMet(by outcome: PolicyTestOutcome) -> Bool {
        switch (self, outcome) {
        case (.approved, .approved), (.pending, .pending), (.refused, .refused), (.refused, .breakGlassRefused),
             (.active, .active), (.awaitingAgreement, .awaitingAgreement): true
        case (.error(let code), .refused(let error, _)), (.error(let code), .approvalFailed(_, let error, _)): error.code == code
        case (.breakGlassRefused(let code), .breakGlassRefused(let refusal)): refusal.code == code
        default: false
        }
    }
}
