extension AuditAction {
    /// A notification given up: its channel refused it, or every attempt failed.
    public static let notificationDeadLettered = AuditAction(rawValue: "notification.dead_lettered")
}
