import CountersignCore

/// A break-glass rule as the core sees it, with where its groups were written, so that lint
/// reports an unknown or empty group at its own line.
struct ParsedBreakGlassRule: Hashable, Sendable {
    let rule: BreakGlassRule
    let file: String
    let position: SourcePosition
    let onCallPosition: SourcePosition
    /// In the order written.
    let onCall: [ParsedRule.GroupReference]
    /// The agreement clause's group, when the rule asks for one.
    let agreement: ParsedRule.GroupReference?
    /// The rule's own position when `reviewers` is left to its default.
    let reviewersPosition: SourcePosition
    /// Empty when `reviewers` is left out (the default reviewers then apply).
    let reviewers: [ParsedRule.GroupReference]

    var location: String { "\(file):\(position.line)" }
}
