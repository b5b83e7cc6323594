import Foundation

/// How far one sink's receiver has taken the audit log, kept in the store so that a restarted
/// gateway, or another gateway on the same database, resumes where the last acknowledged batch
/// ended. Only `AuditStreamRules` moves it: forward on an acknowledgement, never back, never past
/// what was acknowledged. While a gateway holds its lease (`holder` until `leasedUntil`) no other
/// one streams the sink.
public struct AuditStreamCursor: Hashable, Sendable {
    public let sink: AuditSinkName
    /// The last sequence the receiver acknowledged; 0 before the first.
    public internal(set) var acknowledged: Int64
    /// The chain hash of `acknowledged` (the genesis hash at 0): the next batch's first record
    /// must name it as its previous hash, or the log changed since it was sent.
    public internal(set) var acknowledgedHash: [UInt8]
    /// The gateway streaming the sink, until its lease lapses.
    public internal(set) var holder: String?
    public internal(set) var leasedUntil: Date?
    /// Attempts that failed in a row since the last acknowledgement.
    public internal(set) var failures: Int
    /// No attempt before this (a backoff, or the receiver's `Retry-After`).
    public internal(set) var nextAttemptAt: Date
    /// The first failure of the outage under way; nil while the sink keeps up.
    public internal(set) var failingSince: Date?
    /// Whether this outage has been announced (once per outage).
    public internal(set) var outageAnnounced: Bool
    /// The last failure's reason, for the operator; never a secret.
    public internal(set) var lastError: String?

    public init(
        sink: AuditSinkName, acknowledged: Int64 = 0, acknowledgedHash: [UInt8] = AuditChain.genesisHash, holder: String? = nil,
        leasedUntil: Date? = nil, failures: Int = 0, nextAttemptAt: Date, failingSince: Date? = nil, outageAnnounced: Bool = false,
        lastError: String? = nil
    ) {
        self.sink = sink
        self.acknowledged = acknowledged
        self.acknowledgedHash = acknowledgedHash
        self.holder = holder
        self.leasedUntil = leasedUntil
        self.failures = failures
        self.nextAttemptAt = nextAttemptAt
        self.failingSince = failingSince
        self.outageAnnounced = outageAnnounced
        self.lastError = lastError
    }

    /// Events the sink has not acknowledged, with the log's head at `head`.
    public func lag(head: Int64) -> Int64 {
        max(0, head - acknowledged)
    }
}
