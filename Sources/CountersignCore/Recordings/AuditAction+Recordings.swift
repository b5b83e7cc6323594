extension AuditAction {
    public static let recordingStarted = AuditAction(rawValue: "recording.started")
    public static let recordingGap = AuditAction(rawValue: "recording.gap")
    public static let recordingCompleted = AuditAction(rawValue: "recording.completed")
    public static let recordingConflict = AuditAction(rawValue: "recording.conflict")
}
