extension AuditAction {
    /// An audit stream sink has refused or missed its batches for longer than
    /// `AuditStreamRules.outageBound`: the detection pipeline behind it is blind from `since`.
    public static let auditStreamOutage = AuditAction(rawValue: "audit_stream.outage")
    /// The sink acknowledged a batch again after an announced outage; nothing was skipped.
    public static let auditStreamRecovered = AuditAction(rawValue: "audit_stream.recovered")
}
