import AsyncHTTPClient
import CountersignCore
import CountersignStore
import Logging
import Notifications
import ServiceLifecycle

/// The gateway's outbox dispatcher as a service of its group: one HTTP client for every channel,
/// shut down once the dispatcher stops. Every gateway on a shared database runs one; the store's
/// claim keeps each message with one of them.
struct OutboxDispatchService: Service {
    let dispatcher: OutboxDispatcher
    let client: HTTPClient

    init(store: any GatewayStore, configuration: NotificationConfiguration, clock: any WallClock, source: String, logger: Logger) {
        let client = HTTPChannelSender.makeClient()
        let senders = Dictionary(uniqueKeysWithValues: configuration.channels.map { channel in
            (channel.name, HTTPChannelSender(channel: channel, client: client, clock: clock) as any ChannelSender)
        })
        self.client = client
        dispatcher = OutboxDispatcher(store: store, senders: senders, clock: clock, settings: .init(source: source), logger: logger)
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { await dispatcher.run() }
        try await client.shutdown()
    }
}
