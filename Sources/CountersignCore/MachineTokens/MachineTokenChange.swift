/// The unit of work of making or revoking a machine token: the token as it becomes and its audit
/// events, committed together or not at all.
public struct MachineTokenChange: Hashable, Sendable {
    public let token: MachineToken
    public let events: [AuditEvent]

    public init(token: MachineToken, events: [AuditEvent]) {
        self.token = token
        self.events = events
    }
}
