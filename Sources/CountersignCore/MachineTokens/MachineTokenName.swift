/// The name an admin gives a machine token (`ci-payments`): the same shape as service and
/// environment names, so it is safe in a URL path, an audit row and a terminal line alike.
/// Names are never reused, revoked tokens included, so a name in the audit trail always means
/// one token.
public struct MachineTokenName: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String

    /// What every audit actor name of a machine caller starts with. A username can never hold a
    /// ':' (`Username`), so `machine:ci-payments` is never mistaken for a person.
    public static let actorPrefix = "machine:"

    public init(_ rawValue: String) throws(DomainError) {
        try FieldRules.checkName(rawValue, field: "token name")
        self.rawValue = rawValue
    }

    /// Who a machine caller is in audit rows: `machine:<name>`.
    public var auditActor: String { Self.actorPrefix + rawValue }

    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
