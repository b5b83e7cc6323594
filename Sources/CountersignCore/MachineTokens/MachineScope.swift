/// What a machine token lets deploy tooling do: a closed set, so a token can never hold a power
/// nobody wrote a rule for.
public enum MachineScope: String, Hashable, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// Ask the deploy gate whether a rollout was approved.
    case deployCheck = "deploy:check"
    /// Record the start of a single-use rollout, after which the approval is spent.
    case deployConsume = "deploy:consume"

    /// The scope spelled `text`; any other spelling is refused, naming the ones there are.
    public init(parsing text: String) throws(DomainError) {
        guard let scope = Self(rawValue: text) else {
            let known = Self.allCases.map(\.rawValue).joined(separator: ", ")
            throw DomainError(.invalidField, "unknown scope \(String(text.prefix(64)).debugDescription); a token's scopes are \(known)")
        }
        self = scope
    }

    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
