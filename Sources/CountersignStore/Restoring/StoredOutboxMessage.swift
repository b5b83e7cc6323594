import CountersignCore
import Foundation

/// An outbox message as the columns of its row, the same on every backend: the notice's fields
/// each in a column of its own (its details a JSON object of strings), the delivery's progress
/// beside them. A state is one word plus the columns that state has: `delivered_at` when
/// delivered, `dead_at` and `dead_reason` when dead, none of them while pending.
public struct StoredOutboxMessage: Sendable {
    public static let columns = """
        id, channel, notice_action, dedup_key, summary, severity, source, component, group_name, event_class, link, details, \
        notice_time, created_at, state, delivered_at, dead_at, dead_reason, attempts, next_attempt_at, claimed_until, last_error
        """
    public static let placeholders = Array(repeating: "?", count: 22).joined(separator: ", ")

    /// Far above `DeliveryRules.maximumAttempts`, so lowering that bound later leaves old rows
    /// readable; a bound so a damaged count never becomes a number the rules overflow on.
    static let maximumAttempts = Int(Int32.max)

    public var id: String
    public var channel: String
    public var noticeAction: String
    public var dedupKey: String
    public var summary: String
    public var severity: String
    public var source: String
    public var component: String?
    public var groupName: String?
    public var eventClass: String
    public var link: String?
    /// The canonical JSON object of the notice's details (`StoredJSON.encode`).
    public var details: String
    public var noticeTime: Int64
    public var createdAt: Int64
    public var state: String
    public var deliveredAt: Int64?
    public var deadAt: Int64?
    public var deadReason: String?
    public var attempts: Int64
    public var nextAttemptAt: Int64
    public var claimedUntil: Int64?
    public var lastError: String?

    /// The columns of `message`. Refused when its details would be longer than a read accepts:
    /// a row written here must read back, or one message would stop every claim that meets it.
    public init(_ message: OutboxMessage) throws(StoreError) {
        let notice = message.notice
        let details = StoredJSON.encode(notice.details)
        guard details.utf8.count <= StoredJSONReader.maximumBytes else {
            throw StoreError(.invalidChange, "the details of outbox message \(message.id) are longer than \(StoredJSONReader.maximumBytes) bytes once stored")
        }
        let (state, deliveredAt, deadAt, deadReason): (String, Date?, Date?, String?) = switch message.state {
        case .pending: ("pending", nil, nil, nil)
        case .delivered(let at): ("delivered", at, nil, nil)
        case .dead(let at, let reason): ("dead", nil, at, reason)
        }
        self.init(
            id: message.id.rawValue, channel: message.channel.rawValue, noticeAction: notice.action.rawValue, dedupKey: notice.dedupKey,
            summary: notice.summary, severity: notice.severity.rawValue, source: notice.source, component: notice.component,
            groupName: notice.group, eventClass: notice.eventClass, link: notice.link?.absoluteString, details: details,
            noticeTime: notice.time.millisecondsSinceEpoch, createdAt: message.createdAt.millisecondsSinceEpoch, state: state,
            deliveredAt: deliveredAt?.millisecondsSinceEpoch, deadAt: deadAt?.millisecondsSinceEpoch, deadReason: deadReason,
            attempts: Int64(message.attempts), nextAttemptAt: message.nextAttemptAt.millisecondsSinceEpoch,
            claimedUntil: message.claimedUntil?.millisecondsSinceEpoch, lastError: message.lastError
        )
    }

    public init(
        id: String, channel: String, noticeAction: String, dedupKey: String, summary: String, severity: String, source: String,
        component: String?, groupName: String?, eventClass: String, link: String?, details: String, noticeTime: Int64, createdAt: Int64,
        state: String, deliveredAt: Int64?, deadAt: Int64?, deadReason: String?, attempts: Int64, nextAttemptAt: Int64,
        claimedUntil: Int64?, lastError: String?
    ) {
        self.id = id
        self.channel = channel
        self.noticeAction = noticeAction
        self.dedupKey = dedupKey
        self.summary = summary
        self.severity = severity
        self.source = source
        self.component = component
        self.groupName = groupName
        self.eventClass = eventClass
        self.link = link
        self.details = details
        self.noticeTime = noticeTime
        self.createdAt = createdAt
        self.state = state
        self.deliveredAt = deliveredAt
        self.deadAt = deadAt
        self.deadReason = deadReason
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.claimedUntil = claimedUntil
        self.lastError = lastError
    }

    public func restore() throws(StoreError) -> OutboxMessage {
        let row = RowRestorer(table: "outbox_messages", key: id)
        let id = try row.domain(id, "id", OutboxID.init)
        let channel = try row.domain(channel, "channel", ChannelName.init)
        guard let action = Notice.Action(rawValue: noticeAction) else { throw row.corrupt("notice_action is not a notice's action") }
        guard let severity = Notice.Severity(rawValue: severity) else { throw row.corrupt("severity is not a notice's severity") }
        let link = try link.map { text throws(StoreError) -> URL in
            guard let url = URL(string: text) else { throw row.corrupt("link is not a URL") }
            return url
        }
        let details = try row.json(details, "details") { reader throws(StoredJSONReader.Failure) in try reader.readStringMap() }
        guard let attempts = Int(exactly: attempts), (0...Self.maximumAttempts).contains(attempts) else { throw row.corrupt("attempts out of range") }
        let state: OutboxMessage.State
        switch (self.state, deliveredAt, deadAt, deadReason) {
        case ("pending", nil, nil, nil): state = .pending
        case ("delivered", let at?, nil, nil): state = .delivered(at: row.time(at))
        case ("dead", nil, let at?, let reason?): state = .dead(at: row.time(at), reason: reason)
        default: throw row.corrupt("state is not pending, delivered or dead with the columns that state has")
        }
        if claimedUntil != nil, state != .pending { throw row.corrupt("a settled message is still claimed") }
        let notice = try row.build("notice") { () throws(DomainError) in
            try Notice(
                action: action, dedupKey: dedupKey, summary: summary, severity: severity, source: source, component: component,
                group: groupName, eventClass: eventClass, link: link, details: details, time: row.time(noticeTime)
            )
        }
        return OutboxMessage(
            id: id, channel: channel, notice: notice, createdAt: row.time(createdAt), state: state, attempts: attempts,
            nextAttemptAt: row.time(nextAttemptAt), claimedUntil: row.time(claimedUntil), lastError: lastError
        )
    }

    /// The figures of `outboxTally` from rows of (channel, state, count), pending and dead ones only.
    public static func tally(_ rows: [(channel: String, state: String, count: Int64)]) throws(StoreError) -> [ChannelName: OutboxTally] {
        var counts: [ChannelName: (pending: Int, dead: Int)] = [:]
        for stored in rows {
            let row = RowRestorer(table: "outbox_messages", key: "of channel \(stored.channel)")
            let channel = try row.domain(stored.channel, "channel", ChannelName.init)
            guard let count = Int(exactly: stored.count), count >= 0 else { throw row.corrupt("a count out of range") }
            switch stored.state {
            case "pending": counts[channel, default: (0, 0)].pending += count
            case "dead": counts[channel, default: (0, 0)].dead += count
            default: throw row.corrupt("a tally of state \(stored.state)")
            }
        }
        return counts.mapValues { OutboxTally(pending: $0.pending, dead: $0.dead) }
    }
}
