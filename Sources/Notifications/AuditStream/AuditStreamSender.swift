import CountersignCore

/// Sends batches of audit records to one sink and says what came of each. Never throws: every
/// failure is an outcome the stream's rules know what to do with (retry, always).
public protocol AuditStreamSender: Sendable {
    var sink: AuditSink { get }
    /// A record as the sink takes it, in the bytes a batch carries (a line, a framed message).
    func encode(_ record: AuditRecord) -> EncodedAuditRecord
    /// One attempt to hand `batch`, in order, to the receiver: delivered only once it acknowledged.
    func send(_ batch: [EncodedAuditRecord]) async -> DeliveryOutcome
}

/// A record and its bytes as one sink sends it.
public struct EncodedAuditRecord: AuditStreamItem {
    public let record: AuditRecord
    public let bytes: [UInt8]

    public init(record: AuditRecord, bytes: [UInt8]) {
        self.record = record
        self.bytes = bytes
    }

    public var byteCount: Int { bytes.count }
}
