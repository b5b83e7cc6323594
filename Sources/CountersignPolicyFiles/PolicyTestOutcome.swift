import CountersignCore

/// What happened to a policy test case's request under the policy.
public enum PolicyTestOutcome: Hashable, Sendable, CustomStringConvertible {
    case approved(rule: String)
    /// `progress` as the core describes it: "payments-owners: 1 of 1 ✓ · sre: 0 of 1".
    case pending(rule: String, progress: String)
    /// `rule` is the rule that matched and refused, nil when none matched.
    case refused(DomainError, rule: String?)
    /// An approval was refused; the approvers after it were not tried.
    case approvalFailed(approver: Username, error: DomainError, rule: String)

    /// The rule that decided the request, if one matched.
    public var rule: String? {
        switch self {
        case .approved(let rule), .pending(let rule, _), .approvalFailed(_, _, let rule): rule
        case .refused(_, let rule): rule
        }
    }

    public var description: String {
        switch self {
        case .approved(let rule): "approved under rule \(rule)"
        case .pending(let rule, let progress): "pending under rule \(rule) (\(progress))"
        case .refused(let error, _): "refused (\(error.code.rawValue): \(error.message))"
        case .approvalFailed(let approver, let error, let rule): "\(error.code.rawValue) when \(approver) approved under rule \(rule) (\(error.message))"
        }
    }
}
