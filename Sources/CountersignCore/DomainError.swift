/// The one error type of the domain rules. `code` is stable (tests and the HTTP layer compare
/// it); `message` is for people and never carries a secret.
public struct DomainError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// A field is missing, too long or not of its documented shape.
        case invalidField = "invalid_field"
        /// No policy rule matches the request (deny by default).
        case noMatchingRule = "no_matching_rule"
        /// A rule matched but refused the request (group, reason, ticket, duration).
        case policyRefused = "policy_refused"
        /// The requester tried to approve their own request.
        case selfApproval = "self_approval"
        /// The actor is not in any group the policy asks approvals from.
        case notEligible = "not_eligible"
        /// The actor is neither the requester nor otherwise allowed to act on the request.
        case forbidden = "forbidden"
        /// The approver has already approved this request.
        case alreadyApproved = "already_approved"
        /// The policy asks for an approval made with an enrolled hardware key.
        case hardwareKeyRequired = "hardware_key_required"
        /// The request is not in a state that allows the action.
        case invalidState = "invalid_state"
        /// The request passed its pending lifetime before the action.
        case requestExpired = "request_expired"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
