import CountersignCore

/// A rule as the core sees it, with where each of its parts was written: lint reports a problem
/// at the line of the group or clause that causes it, not just at the rule.
struct ParsedRule: Hashable, Sendable {
    struct GroupReference: Hashable, Sendable {
        let group: String
        let position: SourcePosition
    }

    let rule: PolicyRule
    let file: String
    let position: SourcePosition
    let requestersPosition: SourcePosition
    /// In the order written.
    let requesters: [GroupReference]
    let approvalsPosition: SourcePosition
    /// One per clause of `rule.requirement`, in the same order.
    let clauses: [GroupReference]

    var location: String { "\(file):\(position.line)" }
}
