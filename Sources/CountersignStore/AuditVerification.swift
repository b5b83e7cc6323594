import CountersignCore

/// The outcome of checking the whole audit log: how far it verified, and the first fault if any.
public struct AuditVerification: Hashable, Sendable {
    /// Records that verified, in order from sequence 1, before the first fault (all of them if none).
    public let recordsVerified: Int64
    /// Signed checkpoints found; they are checked only once every record has verified.
    public let checkpointCount: Int
    public let fault: AuditFault?

    public init(recordsVerified: Int64, checkpointCount: Int, fault: AuditFault?) {
        self.recordsVerified = recordsVerified
        self.checkpointCount = checkpointCount
        self.fault = fault
    }

    public var isIntact: Bool { fault == nil }
}
