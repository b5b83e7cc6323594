extension AuditAction {
    /// Glass broken: the grant is active (or waits on its agreement), its pages committed with it.
    public static let breakGlassGranted = AuditAction(rawValue: "break_glass.granted")
    /// An ask the policy refused; paged too when a rule covered its target.
    public static let breakGlassRefused = AuditAction(rawValue: "break_glass.refused")
    /// Ended before its time: by its user, an admin, a reviewer, or its incident's resolution.
    public static let breakGlassEnded = AuditAction(rawValue: "break_glass.ended")
    public static let breakGlassReviewed = AuditAction(rawValue: "break_glass.reviewed")
    /// Not reviewed within its window: paged again.
    public static let breakGlassReviewOverdue = AuditAction(rawValue: "break_glass.review_overdue")
}
