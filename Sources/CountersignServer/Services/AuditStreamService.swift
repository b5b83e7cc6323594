import AsyncHTTPClient
import CountersignCore
import CountersignStore
import Logging
import Notifications
import ServiceLifecycle

/// The gateway's audit stream as a service of its group: one sender per configured sink (HTTP
/// sinks share one client, made as the outbox dispatcher's is), outages announced through the
/// outbox and its dispatcher woken for them, lag, failures and outages counted in the metrics.
/// Every gateway on a shared database runs one; the sinks' leases keep each with one of them.
struct AuditStreamService: Service {
    let streamer: AuditStreamer
    let client: HTTPClient

    init(
        store: any GatewayStore, configuration: NotificationConfiguration, clock: any WallClock, source: String, metrics: GatewayMetrics,
        outbox: OutboxDispatcher, logger: Logger
    ) {
        let client = HTTPChannelSender.makeClient()
        let senders: [any AuditStreamSender] = configuration.auditSinks.compactMap { sink in
            switch sink.kind {
            case .http: HTTPAuditSender(sink: sink, client: client, clock: clock)
            case .syslog: SyslogAuditSender(sink: sink)
            }
        }
        metrics.expectAuditSinks(configuration.auditSinks.map(\.name))
        self.client = client
        streamer = AuditStreamer(
            store: store, senders: senders, clock: clock, settings: .init(source: source, channels: configuration.names), logger: logger,
            observe: { metrics.auditStream($0) }, announced: { outbox.wake() }
        )
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { await streamer.run() }
        await streamer.release()
        try await client.shutdown()
    }
}
