import AsyncHTTPClient
import CountersignCore
import Foundation

/// Sends a channel's messages over HTTP with AsyncHTTPClient, one `HTTPAttempt` each: bounded as a
/// whole by `timeout`, the answer read up to `answerLimit`, so a receiver that stalls or floods
/// costs an attempt, not the dispatcher.
public struct HTTPChannelSender: ChannelSender {
    public static let defaultTimeout: Duration = .seconds(5)
    public static let answerLimit = HTTPAttempt.answerLimit

    public let channel: NotificationChannel
    let attempt: HTTPAttempt

    public init(channel: NotificationChannel, client: HTTPClient, clock: any WallClock, timeout: Duration = defaultTimeout) {
        self.channel = channel
        attempt = HTTPAttempt(client: client, clock: clock, timeout: timeout)
    }

    /// A client for the dispatcher: no redirects (see `ChannelAnswer`), no retries of its own (the
    /// delivery rules retry, with backoff), connections given up after the attempt's timeout.
    public static func makeClient(timeout: Duration = defaultTimeout) -> HTTPClient {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.timeout.connect = .nanoseconds(timeout.nanoseconds)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func send(_ message: OutboxMessage) async -> DeliveryOutcome {
        await attempt.post(channel.request(for: message, at: attempt.clock.now()), to: channel)
    }
}
