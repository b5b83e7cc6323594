import CountersignCore
import Foundation

/// The JSON a webhook receiver gets: the notice as it is, with the delivery's id. Public so that
/// a receiver written in Swift (and the tests) can decode exactly what is sent.
public struct WebhookNotice: Codable, Hashable, Sendable {
    /// The outbox message's id, also in `Countersign-Delivery`: a redelivery after a lost answer
    /// carries the same one, so a receiver can tell it from a new notice.
    public let delivery: String
    public let channel: String
    /// `trigger`, `resolve` or `inform`.
    public let action: String
    public let dedupKey: String
    public let summary: String
    /// `critical`, `error`, `warning` or `info`.
    public let severity: String
    public let source: String
    public let component: String?
    public let group: String?
    public let eventClass: String
    public let link: String?
    public let details: [String: String]
    /// ISO 8601, UTC, milliseconds.
    public let time: String

    enum CodingKeys: String, CodingKey {
        case delivery, channel, action, summary, severity, source, component, group, link, details, time
        case dedupKey = "dedup_key"
        case eventClass = "class"
    }

    public init(_ message: OutboxMessage) {
        let notice = message.notice
        delivery = message.id.rawValue
        channel = message.channel.rawValue
        action = notice.action.rawValue
        dedupKey = notice.dedupKey
        summary = notice.summary
        severity = notice.severity.rawValue
        source = notice.source
        component = notice.component
        group = notice.group
        eventClass = notice.eventClass
        link = notice.link?.absoluteString
        details = notice.details
        time = NoticeTime.iso8601(notice.time)
    }
}
