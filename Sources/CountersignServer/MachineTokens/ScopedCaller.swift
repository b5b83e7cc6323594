import CountersignCore

/// Who may use an operation that deploy tooling and people both call (the deploy gate): a
/// person's session, or a machine token holding the operation's scope for the service.
public enum ScopedCaller: Sendable {
    case person(CallerIdentity)
    case machine(MachineCaller)

    /// Who to name in the operation's audit events: the username, or `machine:<name>`.
    public var auditActor: String { deployCaller.auditActor }

    /// The caller as the deploy gate's rules know it.
    public var deployCaller: DeployCaller {
        switch self {
        case .person(let identity): .person(identity.actor.name)
        case .machine(let machine): .tooling(machine.token.name)
        }
    }
}

extension GatewayContext {
    /// The caller of an operation open to deploy tooling: a machine token, when one was
    /// presented, that holds `scope` for `service` (a checked service name) at the time it was
    /// resolved; otherwise a person's session. Refused with 401 `unauthenticated` (nothing
    /// presented, or a stale session), `machine_token_invalid`, `machine_token_revoked` or
    /// `machine_token_expired`, and 403 `scope_missing` or `service_not_allowed`.
    public func requireMachineOrPerson(scope: MachineScope, service: String) throws(GatewayError) -> ScopedCaller {
        guard presentedMachineToken else { return .person(try requireIdentity()) }
        guard let machine else { throw GatewayError.unknownMachineToken }
        try machine.authorise(scope, service: service)
        return .machine(machine)
    }
}
