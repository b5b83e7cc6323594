import CountersignCore
import Foundation

/// One configured channel: its name, which policies and outbox rows use, and where and with which
/// secret it sends, which only the gateway's own configuration knows.
public struct NotificationChannel: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case pagerduty, slack, webhook
    }

    public enum Destination: Hashable, Sendable {
        /// PagerDuty Events API v2: the integration's routing key, and the enqueue URL.
        case pagerDuty(routingKey: ChannelSecret, eventsURL: URL)
        /// A Slack incoming webhook, whose URL is itself the secret: whoever has it can post.
        case slack(webhookURL: ChannelSecret)
        /// Any HTTP receiver, which checks the HMAC-SHA256 signature made with `secret`.
        case webhook(url: URL, secret: ChannelSecret)
    }

    public static let pagerDutyEventsURL = URL(string: "https://events.pagerduty.com/v2/enqueue")!

    public let name: ChannelName
    public let destination: Destination

    public init(name: ChannelName, destination: Destination) {
        self.name = name
        self.destination = destination
    }

    public var kind: Kind {
        switch destination {
        case .pagerDuty: .pagerduty
        case .slack: .slack
        case .webhook: .webhook
        }
    }

    /// The channel's secrets, for withholding them from whatever a receiver answers.
    var secrets: [ChannelSecret] {
        switch destination {
        case .pagerDuty(let routingKey, _): [routingKey]
        case .slack(let webhookURL): [webhookURL]
        case .webhook(_, let secret): [secret]
        }
    }

    /// The kind and the name: never where it sends (a Slack URL is a secret) nor with what.
    public var description: String { "\(kind.rawValue) channel \(name)" }
}
