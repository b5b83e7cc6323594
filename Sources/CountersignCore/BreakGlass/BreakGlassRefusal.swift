/// Why break-glass was refused. `code` is stable (the CLI and the HTTP layer compare it).
/// Every refusal is audited; one under a rule that covers the target is also paged, for an
/// attempt to break glass that the policy does not allow is itself an event for the on-call.
public struct BreakGlassRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable, CaseIterable {
        /// No break-glass rule covers this host and login.
        case noRule = "break_glass_no_rule"
        /// The user is in none of the rule's on-call groups.
        case notOnCall = "break_glass_not_on_call"
        /// The incident reference is not of the rule's form.
        case incidentMismatch = "break_glass_incident_mismatch"
        /// Longer than the rule allows.
        case tooLong = "break_glass_too_long"
        /// The rule wants a touch of the user's own key and none came.
        case keyTouchRequired = "break_glass_key_touch_required"
    }

    public let code: Code
    public let message: String
    /// The rule that covered the target, when one did: where the attempt is paged.
    public let rule: BreakGlassRule?

    public init(_ code: Code, _ message: String, rule: BreakGlassRule?) {
        self.code = code
        self.message = message
        self.rule = rule
    }

    public var isPaged: Bool { rule != nil }

    public var description: String { "\(code.rawValue): \(message)" }
}
