import CountersignCore
import Foundation
import Notifications

/// Channels, notices and messages the tests share: a break-glass page with every field set, and
/// its resolve and a notice to read, on channels whose secrets the tests look for in every text.
enum NoticeFixtures {
    static let pagerName = try! ChannelName("oncall-pagerduty")
    static let slackName = try! ChannelName("security-slack")
    static let webhookName = try! ChannelName("siem")

    static let routingKey = "R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY32"
    static let slackToken = "xoxSECRETTOKENabcdefgh1234"
    static let webhookSecret = "whsec-0123456789abcdef0123456789abcdef"
    /// What no text but the wire may ever hold.
    static let secrets = [routingKey, slackToken, webhookSecret]

    static let time = Date(timeIntervalSince1970: 1_800_000_000.25)
    static let source = "https://countersign.example"
    static let link = URL(string: "https://countersign.example/requests/grant-7")!

    static func pager(eventsURL: String = "https://events.pagerduty.com/v2/enqueue") -> NotificationChannel {
        NotificationChannel(name: pagerName, destination: .pagerDuty(routingKey: ChannelSecret(routingKey), eventsURL: URL(string: eventsURL)!))
    }

    static func slack(base: String = "https://hooks.slack.com") -> NotificationChannel {
        NotificationChannel(name: slackName, destination: .slack(webhookURL: ChannelSecret("\(base)/services/T0001/B0002/\(slackToken)")))
    }

    static func webhook(url: String = "https://siem.example/hooks/countersign") -> NotificationChannel {
        NotificationChannel(name: webhookName, destination: .webhook(url: URL(string: url)!, secret: ChannelSecret(webhookSecret)))
    }

    static let details = [
        "user": "bob", "host": "db-1.prod.example.com", "login": "postgres", "incident": "INC-123",
        "reason": "primary <down> & failing over <!channel>", "expires": "2027-01-15T08:30:00.000Z", "link": link.absoluteString,
    ]

    static func page(_ action: Notice.Action = .trigger, dedupKey: String = "grant-7", severity: Notice.Severity = .critical, link: URL? = link) -> Notice {
        try! Notice(
            action: action, dedupKey: dedupKey, summary: "bob broke glass on db-1.prod.example.com as postgres (INC-123)", severity: severity,
            source: source, component: "db-1.prod.example.com", group: "prod", eventClass: "break-glass", link: link, details: details, time: time
        )
    }

    /// A notice with none of the optional fields.
    static func plain(dedupKey: String = "request-9") -> Notice {
        try! Notice(action: .inform, dedupKey: dedupKey, summary: "a request waits for your review", severity: .info, source: source, eventClass: "request", time: time)
    }

    static func message(_ notice: Notice = page(), on channel: ChannelName = pagerName, createdAt: Date = time) -> OutboxMessage {
        OutboxMessage(id: .random(), channel: channel, notice: notice, createdAt: createdAt)
    }

    /// Whether `text` holds any secret, whole or as the Slack URL's token.
    static func leaks(_ text: String) -> Bool {
        secrets.contains { text.contains($0) }
    }

    static func json(_ bytes: [UInt8]) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] ?? [:]
    }
}
