/// One audit record as a sink will send it: the record and how many bytes its encoding (a JSON
/// line, a framed syslog message) takes, which is what a batch's byte bound counts.
public protocol AuditStreamItem: Sendable {
    var record: AuditRecord { get }
    var byteCount: Int { get }
}

/// How much one batch may carry, so that one attempt is a bounded request and a receiver's
/// limits can be met.
public struct AuditStreamLimits: Hashable, Sendable {
    /// A store hands out at most this many records at once (`AuditLog.auditRecords`).
    public static let maximumEvents = 1000
    /// Below this a single ordinary event would not fit.
    public static let minimumBytes = 4 * 1024
    public static let maximumBytes = 4 * 1024 * 1024
    public static let defaultEvents = 100
    public static let defaultBytes = 1024 * 1024

    public let events: Int
    public let bytes: Int

    /// Values out of range are held to it; the configuration refuses them before they get here.
    public init(events: Int = defaultEvents, bytes: Int = defaultBytes) {
        self.events = min(max(events, 1), Self.maximumEvents)
        self.bytes = min(max(bytes, Self.minimumBytes), Self.maximumBytes)
    }
}

/// The next records a sink is sent, in sequence order, and what does not link up in them.
public struct AuditStreamBatch<Item: AuditStreamItem>: Sendable {
    public let items: [Item]
    /// Where the records as stored do not continue the chain the sink has acknowledged: a missing
    /// sequence, a previous hash that is not the last one's, a hash that is not its content's.
    /// They are sent as they are (the receiver checks the same links and must see the break), and
    /// the gateway reports them.
    public let faults: [AuditFault]
    /// Whether the batch stopped at a bound rather than at the end of what it was given.
    public let full: Bool

    public var isEmpty: Bool { items.isEmpty }
    public var last: AuditRecord? { items.last?.record }
    public var byteCount: Int { items.reduce(0) { $0 + $1.byteCount } }
}
