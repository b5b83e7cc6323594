import CountersignAPI
import CountersignCore
import CountersignServer
import Foundation
import Notifications
import Testing
import TestSupport

/// The gateway's audit stream, as countersignd runs it: configured in the notifications file, it
/// sends every audit event, in sequence order, to real receivers on 127.0.0.1 (JSON lines over
/// HTTP, RFC 5424 over TCP), and the receivers check the chain themselves. A receiver that goes
/// down misses nothing once it is back; a 429 is waited out; an outage past its bound is announced
/// once on the notification channels.
@Suite("The gateway's audit stream")
struct AuditStreamTests {
    static let secret = "an-audit-stream-secret-of-32-bytes"
    static let channelSecret = "a-webhook-secret-of-32-bytes-xyz"
    static let detection = try! AuditSinkName("detection")
    static let syslog = try! AuditSinkName("siem-syslog")

    /// The receivers a gateway streams to, and the channel it announces outages on.
    struct Receivers {
        let detection: HTTPReceiver
        let syslog: SyslogReceiver
        let channel: HTTPReceiver

        static func start() async throws -> Receivers {
            Receivers(detection: try await HTTPReceiver.start(), syslog: try await SyslogReceiver.start(), channel: try await HTTPReceiver.start())
        }

        func stop() async {
            await detection.stop()
            await syslog.stop()
            await channel.stop()
        }
    }

    static func configuration(_ receivers: Receivers, in directory: URL) throws -> NotificationConfiguration {
        let file = directory.appendingPathComponent("notifications-\(UUID().uuidString).yaml")
        try """
            channels:
              siem:
                kind: webhook
                url: \(receivers.channel.url("/hooks/countersign"))
                secret_env: TEST_SIEM_HMAC
            audit_stream:
              detection:
                kind: http
                url: \(receivers.detection.url("/ingest"))
                secret_env: TEST_AUDIT_HMAC
                batch_events: 3
              siem-syslog:
                kind: syslog
                address: \(receivers.syslog.address)
                hostname: gateway-test
                batch_events: 4

            """.write(to: file, atomically: true, encoding: .utf8)
        return try NotificationConfiguration.load(path: file.path, environment: ["TEST_SIEM_HMAC": channelSecret, "TEST_AUDIT_HMAC": secret])
    }

    static func withStreamingGateway(
        clock: ManualClock = ManualClock(), _ configure: @escaping (inout GatewayConfiguration) -> Void = { _ in },
        _ body: (GatewayHarness, Receivers) async throws -> Void
    ) async throws {
        let receivers = try await Receivers.start()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-audit-stream-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let notifications = try configuration(receivers, in: scratch)
        let harness = try await GatewayHarness.make(clock: clock) {
            $0.notifications = notifications
            configure(&$0)
        }
        do {
            try await body(harness, receivers)
        } catch {
            await receivers.stop()
            throw error
        }
        await receivers.stop()
    }

    // MARK: What the receivers check

    /// The lines every POST to the HTTP sink carried, in the order they arrived, each checked to be
    /// signed with the sink's secret.
    static func lines(_ receiver: HTTPReceiver, now: Date) throws -> [[String: Any]] {
        try receiver.received.flatMap { request -> [[String: Any]] in
            #expect(request.method == "POST" && request.path == "/ingest" && request.header("Content-Type") == "application/x-ndjson")
            let timestamp = try #require(request.header("Countersign-Timestamp"))
            let signature = try #require(request.header("Countersign-Signature"))
            #expect(throws: Never.self) {
                try WebhookSignature.verify(body: request.body, timestamp: timestamp, signature: signature, secret: Array(secret.utf8), now: now, window: 7200)
            }
            let lines = try request.text.split(separator: "\n").map { line in
                try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            }
            #expect(request.header("Countersign-First-Sequence") == (lines.first?["sequence"] as? Int).map(String.init))
            #expect(request.header("Countersign-Last-Sequence") == (lines.last?["sequence"] as? Int).map(String.init))
            return lines
        }
    }

    /// The JSON of every syslog message, each checked to be an RFC 5424 message whose structured
    /// data names the same sequence and hashes as its JSON.
    static func lines(_ receiver: SyslogReceiver) throws -> [[String: Any]] {
        try receiver.messages.map { message in
            let text = String(decoding: message, as: UTF8.self)
            #expect(text.hasPrefix("<110>1 ") && text.contains(" gateway-test countersign - audit [countersign@32473 sequence=\""), "\(text.prefix(120))")
            let bom = try #require(message.firstRange(of: [0xEF, 0xBB, 0xBF]))
            let line = try #require(try JSONSerialization.jsonObject(with: Data(message[bom.upperBound...])) as? [String: Any])
            let sequence = try #require(line["sequence"] as? Int)
            let hash = try #require(line["hash"] as? String)
            let previous = try #require(line["previous_hash"] as? String)
            #expect(text.contains("[countersign@32473 sequence=\"\(sequence)\" hash=\"\(hash)\" previous_hash=\"\(previous)\"] "))
            return line
        }
    }

    /// The receiver's continuity check (docs/audit-stream.md): dropping any sequence it already
    /// has, each next one follows the last without a gap, names its hash as previous, and hashes
    /// to its own hash. The sequences kept, in order.
    static func verifiedSequences(_ lines: [[String: Any]]) throws -> [Int64] {
        var kept: [Int64] = []
        var lastHash = AuditChain.genesisHash
        for line in lines {
            let sequence = Int64(try #require(line["sequence"] as? Int))
            if let last = kept.last, sequence <= last { continue }
            #expect(sequence == (kept.last ?? 0) + 1, "no gap before sequence \(sequence)")
            let previousHex = try #require(line["previous_hash"] as? String)
            let previous = try #require(bytes(previousHex))
            #expect(previous == lastHash, "sequence \(sequence) names the hash before it")
            let event = AuditEvent(
                time: Date(millisecondsSinceEpoch: Int64(try #require(line["time_ms"] as? Int))), actor: try #require(line["actor"] as? String),
                action: AuditAction(rawValue: try #require(line["action"] as? String)), subject: try #require(line["subject"] as? String),
                details: try #require(line["details"] as? [String: String])
            )
            let hash = AuditChain.hash(sequence: sequence, event: event, previousHash: previous)
            #expect(hash.hexString == line["hash"] as? String, "sequence \(sequence) hashes to its hash")
            kept.append(sequence)
            lastHash = hash
        }
        return kept
    }

    static func bytes(_ hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        return stride(from: 0, to: 64, by: 2).compactMap { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16) }
    }

    static func sequences(_ lines: [[String: Any]]) -> [Int64] {
        lines.compactMap { ($0["sequence"] as? Int).map(Int64.init) }
    }

    static func head(_ harness: GatewayHarness) async throws -> Int64 {
        try await harness.gateway.store.auditHead()?.sequence ?? 0
    }

    /// Passes (beside the running service's) until `done`, at most 250 of them.
    static func stream(_ harness: GatewayHarness, until done: () async throws -> Bool) async throws {
        for _ in 0..<250 {
            await harness.gateway.streamAudit()
            if try await done() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the stream did not get there")
    }

    /// A few requests filed and acted on, each leaving its events.
    static func work(_ api: API, rounds: Int = 2) async throws {
        let alice = try await api.login("alice")
        for _ in 0..<rounds {
            let request = try await api.filePaymentsDeploy(as: alice)
            _ = try await api.act("cancel", request.id, token: alice)
        }
    }

    static func metric(_ api: API, _ name: String, sink: AuditSinkName) async throws -> Double? {
        let text = String(buffer: try await api.send(.get, "/metrics").body)
        let prefix = "\(name){sink=\"\(sink.rawValue)\"} "
        return text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
    }

    // MARK: Tests

    @Test("every event reaches both sinks once, in sequence order, with a chain each receiver verifies; /metrics shows them caught up")
    func inOrder() async throws {
        try await Self.withStreamingGateway { harness, receivers in try await harness.run { api in
            try await Self.work(api)
            let now = harness.clock.now()
            try await Self.stream(harness) {
                let head = try await Self.head(harness)
                return try Self.sequences(Self.lines(receivers.detection, now: now)).last == head && Self.sequences(Self.lines(receivers.syslog)).last == head
            }
            let head = try await Self.head(harness)
            #expect(head >= 6, "the work left events")
            let all = Array(1...head)
            #expect(try Self.sequences(Self.lines(receivers.detection, now: now)) == all, "each once, in order")
            #expect(try Self.verifiedSequences(Self.lines(receivers.detection, now: now)) == all)
            #expect(try Self.sequences(Self.lines(receivers.syslog)) == all)
            #expect(try Self.verifiedSequences(Self.lines(receivers.syslog)) == all)
            #expect(receivers.syslog.framingErrors == 0)
            #expect(receivers.detection.received.allSatisfy { $0.text.split(separator: "\n").count <= 3 }, "batches bounded by batch_events")
            let stored = try await harness.gateway.store.auditRecords(after: 0, limit: 1000)
            #expect(try Self.lines(receivers.detection, now: now).map { $0["hash"] as? String } == stored.map { $0.hash.hexString })

            #expect(try await Self.metric(api, "countersign_audit_stream_lag_events", sink: Self.detection) == 0)
            #expect(try await Self.metric(api, "countersign_audit_stream_failures_total", sink: Self.syslog) == 0)
            #expect(try await Self.metric(api, "countersign_audit_stream_outage", sink: Self.detection) == 0)
            let cursor = try #require(try await harness.gateway.store.auditStreamCursor(Self.detection))
            #expect(cursor.acknowledged == head && cursor.holder == harness.gateway.auditStream.holder)
            for request in receivers.detection.received { #expect(!request.text.contains(Self.secret)) }
        } }
    }

    @Test("a receiver down for a while misses nothing once it is back: every sequence, in order, no gap")
    func downThenBack() async throws {
        try await Self.withStreamingGateway { harness, receivers in try await harness.run { api in
            try await Self.stream(harness) {
                let head = try await Self.head(harness)
                return try Self.sequences(Self.lines(receivers.detection, now: harness.clock.now())).last == head
                    && Self.sequences(Self.lines(receivers.syslog)).last == head
            }
            let before = try await Self.head(harness)
            await receivers.detection.stop()
            await receivers.syslog.stop()
            try await Self.work(api)
            try await Self.stream(harness) {
                let detection = try await harness.gateway.store.auditStreamCursor(Self.detection)
                let syslog = try await harness.gateway.store.auditStreamCursor(Self.syslog)
                return (detection?.failures ?? 0) > 0 && (syslog?.failures ?? 0) > 0
            }
            #expect(try await harness.gateway.store.auditStreamCursor(Self.detection)?.acknowledged == before, "nothing moves while the receiver is down")
            #expect(try await Self.metric(api, "countersign_audit_stream_failures_total", sink: Self.detection) ?? 0 >= 1)
            #expect(try await Self.metric(api, "countersign_audit_stream_lag_events", sink: Self.syslog) ?? 0 > 0)

            try await receivers.detection.restart()
            try await receivers.syslog.restart()
            // Past the longest backoff; nobody sleeps for it.
            harness.clock.advance(by: DeliveryRules.maximumBackoff + 1)
            try await Self.stream(harness) {
                let head = try await Self.head(harness)
                return try Self.sequences(Self.lines(receivers.detection, now: harness.clock.now())).last == head
                    && Self.sequences(Self.lines(receivers.syslog)).last == head
            }
            let head = try await Self.head(harness)
            #expect(head > before)
            #expect(try Self.verifiedSequences(Self.lines(receivers.detection, now: harness.clock.now())) == Array(1...head))
            #expect(try Self.verifiedSequences(Self.lines(receivers.syslog)) == Array(1...head))
            #expect(try await Self.metric(api, "countersign_audit_stream_lag_events", sink: Self.detection) == 0)
        } }
    }

    @Test("a 429 with Retry-After holds the next attempt back until then, and the stream resumes where it was")
    func retryAfter() async throws {
        try await Self.withStreamingGateway { harness, receivers in try await harness.run { api in
            try await Self.stream(harness) {
                try Self.sequences(Self.lines(receivers.detection, now: harness.clock.now())).last == (try await Self.head(harness))
            }
            let answered = receivers.detection.received.count
            receivers.detection.script([.tooManyRequests(retryAfter: "120")])
            try await Self.work(api, rounds: 1)
            try await Self.stream(harness) { receivers.detection.received.count == answered + 1 }
            let waiting = try #require(try await harness.gateway.store.auditStreamCursor(Self.detection))
            #expect(waiting.failures == 1 && waiting.lastError?.contains("429") == true)
            #expect(waiting.nextAttemptAt == harness.clock.now().addingTimeInterval(120).truncatedToMilliseconds, "the receiver's wait, longer than the backoff")
            harness.clock.advance(by: 119)
            for _ in 0..<5 { await harness.gateway.streamAudit() }
            #expect(receivers.detection.received.count == answered + 1, "nothing sent before the Retry-After ran out")
            harness.clock.advance(by: 1)
            try await Self.stream(harness) {
                try Self.sequences(Self.lines(receivers.detection, now: harness.clock.now())).last == (try await Self.head(harness))
            }
            let lines = try Self.lines(receivers.detection, now: harness.clock.now())
            let head = try await Self.head(harness)
            #expect(try Self.verifiedSequences(lines) == Array(1...head), "the refused batch came again, then the rest")
        } }
    }

    @Test("a refusal of a batch (another 4xx) is no dead letter: the same records go again after the backoff")
    func refusedIsRetried() async throws {
        try await Self.withStreamingGateway { harness, receivers in try await harness.run { api in
            receivers.detection.script([.status(400, body: "unknown source"), .status(422, body: "still unknown")])
            try await Self.work(api, rounds: 1)
            func cursor() async throws -> AuditStreamCursor? { try await harness.gateway.store.auditStreamCursor(Self.detection) }
            try await Self.stream(harness) { (try await cursor()?.failures ?? 0) >= 1 }
            #expect(try await cursor()?.lastError == "detection answered HTTP 400: unknown source")
            harness.clock.advance(by: DeliveryRules.maximumBackoff + 1)
            try await Self.stream(harness) { (try await cursor()?.failures ?? 0) >= 2 }
            #expect(try await cursor()?.lastError == "detection answered HTTP 422: still unknown")
            harness.clock.advance(by: DeliveryRules.maximumBackoff + 1)
            try await Self.stream(harness) { try await cursor()?.acknowledged == (try await Self.head(harness)) }
            #expect(try Self.verifiedSequences(Self.lines(receivers.detection, now: harness.clock.now())) == Array(1...(try await Self.head(harness))))
            #expect(try await Self.metric(api, "countersign_audit_stream_failures_total", sink: Self.detection) == 2)
        } }
    }

    @Test("a sink failing past the bound is announced once on the channels and audited; its return is announced and the stream carries both events")
    func outage() async throws {
        try await Self.withStreamingGateway { harness, receivers in try await harness.run { api in
            await receivers.detection.stop()
            try await Self.work(api, rounds: 1)
            var announced: [HTTPReceiver.Received] { receivers.channel.received.filter { $0.text.contains(#""class":"audit-stream""#) } }
            // Each round makes the next attempt due (past the longest backoff; nobody sleeps for it) and waits for it to fail.
            for _ in 0..<4 {
                let failures = try await harness.gateway.store.auditStreamCursor(Self.detection)?.failures ?? 0
                harness.clock.advance(by: DeliveryRules.maximumBackoff + 1)
                try await Self.stream(harness) { (try await harness.gateway.store.auditStreamCursor(Self.detection)?.failures ?? 0) > failures }
            }
            try await Self.stream(harness) {
                await harness.gateway.dispatchNotifications()
                return !announced.isEmpty
            }
            for _ in 0..<3 { await harness.gateway.dispatchNotifications() }
            #expect(announced.count == 1, "once per outage")
            let announcement = try #require(announced.first)
            let notice = try #require(try JSONSerialization.jsonObject(with: Data(announcement.body)) as? [String: Any])
            #expect((notice["summary"] as? String)?.contains("Countersign cannot stream its audit log to http sink detection") == true)
            #expect(notice["severity"] as? String == "error" && !(announced.first?.text.contains(receivers.detection.url()) ?? true), "never where the sink sends")
            #expect(try await Self.metric(api, "countersign_audit_stream_outage", sink: Self.detection) == 1)
            #expect(try await Self.metric(api, "countersign_audit_stream_failures_total", sink: Self.detection) ?? 0 >= 4)
            #expect(try await Self.metric(api, "countersign_audit_stream_outage", sink: Self.syslog) == 0, "the other sink keeps up")

            try await receivers.detection.restart()
            harness.clock.advance(by: DeliveryRules.maximumBackoff + 1)
            try await Self.stream(harness) {
                let lines = try Self.lines(receivers.detection, now: harness.clock.now())
                return Self.sequences(lines).last == (try await Self.head(harness)) && lines.contains { $0["action"] as? String == "audit_stream.recovered" }
            }
            let lines = try Self.lines(receivers.detection, now: harness.clock.now())
            #expect(try Self.verifiedSequences(lines) == Array(1...(try await Self.head(harness))))
            let outageEvent = try #require(lines.first { $0["action"] as? String == "audit_stream.outage" })
            #expect(outageEvent["subject"] as? String == "detection" && (outageEvent["details"] as? [String: String])?["reason"]?.isEmpty == false)
            try await Self.stream(harness) {
                await harness.gateway.dispatchNotifications()
                return receivers.channel.received.contains { $0.text.contains("nothing skipped") }
            }
            #expect(try await Self.metric(api, "countersign_audit_stream_outage", sink: Self.detection) == 0)
            let erin = try await api.login("erin")
            let audit = String(buffer: try await api.send(.get, "/v1/audit?limit=1000", token: erin).body)
            #expect(audit.contains("audit_stream.outage") && audit.contains("audit_stream.recovered") && !audit.contains(Self.secret))
        } }
    }
}
