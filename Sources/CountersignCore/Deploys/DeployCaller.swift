/// Who asks the deploy gate: a person with a session, or deploy tooling by the name of its
/// machine token. The gate's rules differ between them; the audit trail names either.
public enum DeployCaller: Hashable, Sendable {
    case person(Username)
    case tooling(MachineTokenName)

    /// A username, or `machine:<name>`: never confusable (`MachineTokenName.actorPrefix`).
    public var auditActor: String {
        switch self {
        case .person(let name): name.rawValue
        case .tooling(let name): name.auditActor
        }
    }

    /// Reads back an audit actor written by `auditActor`.
    public init(auditActor: String) throws(DomainError) {
        if auditActor.hasPrefix(MachineTokenName.actorPrefix) {
            self = .tooling(try MachineTokenName(String(auditActor.dropFirst(MachineTokenName.actorPrefix.count))))
        } else {
            self = .person(try Username(auditActor))
        }
    }
}
