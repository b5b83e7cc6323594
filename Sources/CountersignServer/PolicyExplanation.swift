import CountersignAPI
import CountersignCore

/// What `countersign policy explain ID` shows: the rule a request was judged by, where it is
/// written, whether the policy in force still agrees, and what approval is still missing.
enum PolicyExplanation {
    static func explain(_ request: AccessRequest, under policy: Policy) -> ExplanationView {
        let progress = request.progress
        var missing: [String] = []
        if request.state == .pending {
            for clause in progress.clauses where !clause.isSatisfied {
                let needed = clause.clause.count - clause.approvers.count
                missing.append("\(needed) more approval\(needed == 1 ? "" : "s") from \(clause.clause.group)")
            }
            if request.requirement.hardwareKeyRequired {
                missing.append("each approval must be made with an enrolled hardware security key")
            }
        }
        return ExplanationView(
            requestId: request.id.rawValue, rule: request.ruleName,
            ruleSource: policy.rule(named: request.ruleName)?.source?.description,
            currentRule: policy.matchingRule(for: request.target)?.name,
            state: request.state.rawValue, requirement: RequirementView(request), missing: missing
        )
    }
}
