import CountersignCore
import Foundation

extension NotificationChannel {
    /// `message` as this channel's receiver takes it, for an attempt made at `now`.
    public func request(for message: OutboxMessage, at now: Date) -> ChannelRequest {
        switch destination {
        case .pagerDuty(let routingKey, let eventsURL):
            PagerDutyEvent.request(for: message, routingKey: routingKey, eventsURL: eventsURL)
        case .slack(let webhookURL):
            SlackMessage.request(for: message, webhookURL: webhookURL)
        case .webhook(let url, let secret):
            WebhookDelivery.request(for: message, url: url, secret: secret, at: now)
        }
    }
}
