import CountersignAPI
import CountersignCore
import CountersignServer
import Foundation
import Notifications
import Testing
import TestSupport

/// The gateway's own outbox dispatcher, as countersignd runs it: configured from a notifications
/// file, it delivers what the store holds to a real receiver on 127.0.0.1, gives up by name on a
/// channel nobody configured, and the metrics count both.
@Suite("The gateway's outbox dispatcher")
struct OutboxDispatchTests {
    static let secret = "a-webhook-secret-of-32-bytes-xyz"

    static func configuration(pointingAt receiver: HTTPReceiver, in directory: URL) throws -> NotificationConfiguration {
        let file = directory.appendingPathComponent("notifications-\(UUID().uuidString).yaml")
        try "channels:\n  siem:\n    kind: webhook\n    url: \(receiver.url("/hooks/countersign"))\n    secret_env: TEST_SIEM_HMAC\n"
            .write(to: file, atomically: true, encoding: .utf8)
        return try NotificationConfiguration.load(path: file.path, environment: ["TEST_SIEM_HMAC": secret])
    }

    static func message(to channel: String, at now: Date) throws -> OutboxMessage {
        let notice = try Notice(
            action: .inform, dedupKey: "grant-7", summary: "bob broke glass on db-1", severity: .critical, source: "https://countersign.example.com",
            eventClass: "break-glass", details: ["user": "bob"], time: now
        )
        return OutboxMessage(id: .random(), channel: try ChannelName(channel), notice: notice, createdAt: now)
    }

    /// A gateway whose one channel, `siem`, is a webhook to a fresh receiver on 127.0.0.1; its
    /// policies the example ones, or what `policies` writes in the scratch folder.
    static func withReceivingGateway(
        policies: ((URL) throws -> URL)? = nil, _ configure: @escaping (inout GatewayConfiguration) -> Void = { _ in },
        _ body: (GatewayHarness, HTTPReceiver) async throws -> Void
    ) async throws {
        let receiver = try await HTTPReceiver.start()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-outbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let notifications = try configuration(pointingAt: receiver, in: scratch)
        let harness = try await GatewayHarness.make(policies: try policies?(scratch)) {
            $0.notifications = notifications
            configure(&$0)
        }
        do {
            try await body(harness, receiver)
        } catch {
            await receiver.stop()
            throw error
        }
        await receiver.stop()
    }

    @Test("a message for a configured channel reaches its receiver signed; one for an unknown channel dies, audited; /metrics counts them")
    func deliveries() async throws {
        try await Self.withReceivingGateway { harness, receiver in try await harness.run { api in
            let now = harness.clock.now()
            let delivered = try Self.message(to: "siem", at: now)
            let unknown = try Self.message(to: "nowhere", at: now)
            try await harness.gateway.store.enqueue([delivered, unknown])
            harness.gateway.dispatcher.wake()
            var pass = OutboxDispatcher.Pass()
            for _ in 0..<50 where try await harness.gateway.store.outboxMessage(delivered.id)?.state == .pending {
                pass = await harness.gateway.dispatchNotifications()
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try await harness.gateway.store.outboxMessage(delivered.id)?.state == .delivered(at: now), "\(pass)")
            guard case .dead(_, let reason)? = try await harness.gateway.store.outboxMessage(unknown.id)?.state else {
                Issue.record("the message for an unconfigured channel did not die")
                return
            }
            #expect(reason.contains("nowhere"))
            // The receiver also hears the dead message's announcement, in whichever order the sends went.
            let request = try #require(receiver.received.first { $0.header("Countersign-Delivery") == delivered.id.rawValue })
            #expect(request.method == "POST" && request.path == "/hooks/countersign")
            #expect(request.header("Countersign-Delivery") == delivered.id.rawValue)
            let timestamp = try #require(request.header("Countersign-Timestamp"))
            let signature = try #require(request.header("Countersign-Signature"))
            #expect(throws: Never.self) { try WebhookSignature.verify(body: request.body, timestamp: timestamp, signature: signature, secret: Array(Self.secret.utf8), now: now) }

            let metrics = String(buffer: try await api.send(.get, "/metrics").body)
            #expect(metrics.contains(#"countersign_outbox_messages{channel="siem",state="pending"} 0.0"#), "\(metrics)")
            #expect(metrics.contains(#"countersign_outbox_messages{channel="nowhere",state="dead"} 1.0"#))
            let erin = try await api.login("erin")
            let audit = String(buffer: try await api.send(.get, "/v1/audit?limit=200", token: erin).body)
            #expect(audit.contains("notification.dead_lettered") && !audit.contains(Self.secret))
        } }
    }

    @Test("break-glass rules paging channels the gateway does not configure still load, and the load's audit event names them")
    func unconfiguredChannels() async throws {
        try await Self.withReceivingGateway { harness, _ in try await harness.run { api in
            let erin = try await api.login("erin")
            let page = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit", token: erin))
            let loaded = try #require(page.events.first { $0.action == "policy.loaded" })
            #expect(loaded.details["break_glass_rules"] == "2")
            #expect(loaded.details["unconfigured_channels"] == "database-break-glass:oncall-pagerduty, database-break-glass:security-slack, production-break-glass:oncall-pagerduty")
        } }
    }
}
