import CountersignCore
import Foundation

/// A notice as a PagerDuty Events API v2 alert event.
///
/// What this relies on, from PagerDuty's Events API v2 documentation ("Send an Alert Event" and
/// the overview's response codes):
/// - Events are POSTed as JSON to one enqueue URL; the integration's routing key travels inside the
///   body, so the body is a secret and is never logged.
/// - `event_action` is one of `trigger`, `acknowledge`, `resolve`: there is nothing for a message
///   that is only to be read.
/// - `dedup_key` (at most 255 characters) ties events to one alert: a trigger for an alert already
///   open adds to it instead of opening another, so a retried trigger pages once; a resolve closes
///   it; after a resolve, a trigger with the key opens a new alert and a resolve finding no open
///   alert is dropped. Order per key therefore matters, which the dispatcher keeps.
/// - A trigger's `payload` needs `summary` (at most 1024 characters), `source` and `severity`
///   (`critical`, `error`, `warning`, `info`); `timestamp` (ISO 8601), `component`, `group`, `class`
///   and `custom_details` (an object) are optional. `links` (`href`, optional `text`) sits beside
///   the payload. A resolve needs only the routing key, the action and the dedup key.
/// - 202 means accepted; 400 is an invalid event, not worth retrying; 429 is throttling and 5xx a
///   failure at PagerDuty, both worth retrying later, as is a network error. Events are limited to
///   512 KB (a notice's bounds keep it far below).
///
/// An `inform` notice goes as a `trigger` with the notice's own severity. Dropping it would lose
/// what reaches PagerDuty as `inform` in practice: a dead letter's announcement (severity `error`),
/// which tells on-call that a break-glass page went nowhere, exactly what a bank must not miss.
/// Change events, PagerDuty's other kind, notify nobody and cannot go to a ruleset's key. Which
/// everyday notices reach PagerDuty at all is the policy's choice of channel, and a service that
/// maps severity to urgency keeps `info` ones from waking anybody.
enum PagerDutyEvent {
    struct Body: Encodable {
        let routing_key: String
        let event_action: String
        let dedup_key: String
        let payload: Payload?
        let links: [Link]?
    }

    struct Payload: Encodable {
        let summary: String
        let source: String
        let severity: String
        let timestamp: String
        let component: String?
        let group: String?
        let `class`: String
        let custom_details: [String: String]
    }

    struct Link: Encodable {
        let href: String
        let text: String
    }

    static let linkText = "Open in Countersign"

    static func request(for message: OutboxMessage, routingKey: ChannelSecret, eventsURL: URL) -> ChannelRequest {
        let notice = message.notice
        let body: Body
        switch notice.action {
        case .resolve:
            body = Body(routing_key: routingKey.revealed, event_action: "resolve", dedup_key: notice.dedupKey, payload: nil, links: nil)
        case .trigger, .inform:
            // PagerDuty refuses a trigger without a source; a notice may have been made without one.
            let payload = Payload(
                summary: notice.summary, source: notice.source.isEmpty ? "countersign" : notice.source, severity: notice.severity.rawValue,
                timestamp: NoticeTime.iso8601(notice.time), component: notice.component, group: notice.group, class: notice.eventClass,
                custom_details: notice.details
            )
            body = Body(
                routing_key: routingKey.revealed, event_action: "trigger", dedup_key: notice.dedupKey, payload: payload,
                links: notice.link.map { [Link(href: $0.absoluteString, text: linkText)] }
            )
        }
        return ChannelRequest(
            url: eventsURL.absoluteString,
            headers: [("Content-Type", "application/json"), ("Accept", "application/json"), ("User-Agent", ChannelRequest.userAgent)],
            body: JSONBody.encode(body)
        )
    }
}
