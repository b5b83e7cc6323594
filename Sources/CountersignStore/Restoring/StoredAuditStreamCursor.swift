import CountersignCore
import Foundation

/// An audit stream cursor as the columns of its row, the same on every backend. The lease is two
/// columns set together or not at all; times are milliseconds, as everywhere.
public struct StoredAuditStreamCursor: Sendable, Equatable {
    public static let columns = """
        sink, acknowledged, acknowledged_hash, holder, leased_until, failures, next_attempt_at, failing_since, outage_announced, last_error
        """

    public var sink: String
    public var acknowledged: Int64
    public var acknowledgedHash: [UInt8]
    public var holder: String?
    public var leasedUntil: Int64?
    public var failures: Int64
    public var nextAttemptAt: Int64
    public var failingSince: Int64?
    public var outageAnnounced: Bool
    public var lastError: String?

    public init(_ cursor: AuditStreamCursor) {
        self.init(
            sink: cursor.sink.rawValue, acknowledged: cursor.acknowledged, acknowledgedHash: cursor.acknowledgedHash, holder: cursor.holder,
            leasedUntil: cursor.leasedUntil?.millisecondsSinceEpoch, failures: Int64(cursor.failures),
            nextAttemptAt: cursor.nextAttemptAt.millisecondsSinceEpoch, failingSince: cursor.failingSince?.millisecondsSinceEpoch,
            outageAnnounced: cursor.outageAnnounced, lastError: cursor.lastError
        )
    }

    public init(
        sink: String, acknowledged: Int64, acknowledgedHash: [UInt8], holder: String?, leasedUntil: Int64?, failures: Int64,
        nextAttemptAt: Int64, failingSince: Int64?, outageAnnounced: Bool, lastError: String?
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

    public func restore() throws(StoreError) -> AuditStreamCursor {
        let row = RowRestorer(table: "audit_stream_cursors", key: sink)
        let sink = try row.domain(sink, "sink", AuditSinkName.init)
        guard acknowledged >= 0 else { throw row.corrupt("acknowledged is negative") }
        let hash = try row.bytes(acknowledgedHash, "acknowledged_hash", count: AuditChain.genesisHash.count)
        if acknowledged == 0, hash != AuditChain.genesisHash { throw row.corrupt("acknowledged_hash is not the genesis hash before the first record") }
        switch (holder, leasedUntil) {
        case (nil, nil): break
        case (let holder?, _?): guard AuditStreamRules.isHolder(holder) else { throw row.corrupt("holder is not a gateway's name") }
        default: throw row.corrupt("holder and leased_until are not set together")
        }
        guard let failures = Int(exactly: failures), (0...AuditStreamRules.maximumCountedFailures).contains(failures) else {
            throw row.corrupt("failures out of range")
        }
        if failures > 0, failingSince == nil { throw row.corrupt("failures without failing_since") }
        if outageAnnounced, failingSince == nil { throw row.corrupt("an outage announced without failing_since") }
        return AuditStreamCursor(
            sink: sink, acknowledged: acknowledged, acknowledgedHash: hash, holder: holder, leasedUntil: row.time(leasedUntil),
            failures: failures, nextAttemptAt: row.time(nextAttemptAt), failingSince: row.time(failingSince), outageAnnounced: outageAnnounced,
            lastError: lastError
        )
    }
}
