extension AuditAction {
    public static let machineTokenCreated = AuditAction(rawValue: "machine_token.created")
    public static let machineTokenRevoked = AuditAction(rawValue: "machine_token.revoked")
}
