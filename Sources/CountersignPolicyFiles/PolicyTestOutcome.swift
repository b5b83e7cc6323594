import CountersignCore

/// What happened to a policy test case's request, or break-glass attempt, under the policy.
public enum PolicyTestOutcome: Hashable, Sendable, CustomStringConvertible {
    case approved(rule: String)
    /// `progress` as the core describes it: "payments-owners: 1 of 1 ✓ · sre: 0 of 1".
    case pending(rule: String, progress: String)
    /// `rule` is the rule that matched and refused, nil when none matched.
    case refused(DomainError, rule: String?)
    /// An approval was refused; the approvers after it were not tried.
    case approvalFailed(approver: Username, error: DomainError, rule: String)
    /// Break-glass granted at once, for this long.
    case active(rule: String, durationSeconds: Int)
    /// Break-glass admitted, waiting for `agreement`.
    case awaitingAgreement(rule: String, agreement: ApprovalClause)
    /// The refusal names the rule that covered the target, when one did.
    case breakGlassRefused(BreakGlassRefusal)

    /// The rule that decided, if one matched.
    public var rule: String? {
        switch self {
        case .approved(let rule), .pending(let rule, _), .approvalFailed(_, _, let rule), .active(let rule, _), .awaitingAgreement(let rule, _): rule
        case .refused(_, let rule): rule
        case .breakGlassRefused(let refusal): refusal.rule?.name
        }
    }

    public var description: String {
        switch self {
        case .approved(let rule): "approved under rule \(rule)"
        case .pending(let rule, let progress): "pending under rule \(rule) (\(progress))"
        case .refused(let error, _): "refused (\(error.code.rawValue): \(error.message))"
        case .approvalFailed(let approver, let error, let rule): "\(error.code.rawValue) when \(approver) approved under rule \(rule) (\(error.message))"
        case .active(let rule, let seconds): "active under break-glass rule \(rule) for \(PolicyDuration.text(seconds))"
        case .awaitingAgreement(let rule, let agreement): "awaiting agreement (\(agreement)) under break-glass rule \(rule)"
        case .breakGlassRefused(let refusal): "refused (\(refusal.code.rawValue): \(refusal.message))"
        }
    }
}
