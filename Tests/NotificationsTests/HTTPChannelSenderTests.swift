import AsyncHTTPClient
import CountersignCore
import Foundation
import Notifications
import TestSupport
import Testing

/// The transport against real receivers on 127.0.0.1 that accept, fail, stall, throttle, refuse
/// or are not there at all; each checks what arrived, header by header.
@Suite(.timeLimit(.minutes(2)))
struct HTTPChannelSenderTests {
    typealias F = NoticeFixtures

    /// A sender of `channel` through a client of its own, shut down after `body`. Its timeout is
    /// generous unless a test stalls on purpose: a test starved of CPU must not see a slow answer
    /// as none.
    static func withSender(
        _ channel: NotificationChannel, timeout: Duration = .seconds(30), _ body: (HTTPChannelSender) async throws -> Void
    ) async throws {
        let client = HTTPChannelSender.makeClient(timeout: timeout)
        do {
            try await body(HTTPChannelSender(channel: channel, client: client, clock: ManualClock(Date(timeIntervalSince1970: 1_900_000_000)), timeout: timeout))
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    static func reason(_ outcome: DeliveryOutcome) -> String {
        switch outcome {
        case .delivered: ""
        case .retryable(let reason, _), .rejected(let reason): reason
        }
    }

    @Test func anAcceptedPageArrivesAsPagerDutyExpectsIt() async throws {
        let receiver = try await HTTPReceiver.start()
        let message = F.message()
        try await Self.withSender(F.pager(eventsURL: receiver.url("/v2/enqueue"))) { sender in
            #expect(await sender.send(message) == .delivered)
        }
        await receiver.stop()
        let received = try #require(receiver.received.first)
        #expect(receiver.received.count == 1)
        #expect(received.method == "POST")
        #expect(received.path == "/v2/enqueue")
        #expect(received.header("Content-Type") == "application/json")
        #expect(received.header("User-Agent") == "Countersign")
        #expect(received.body == F.pager().request(for: message, at: F.time).body)
        let json = try F.json(received.body)
        #expect(json["routing_key"] as? String == F.routingKey)
        #expect(json["dedup_key"] as? String == "grant-7")
    }

    @Test func aSignedWebhookArrivesWithItsHeadersAndVerifies() async throws {
        let receiver = try await HTTPReceiver.start(answering: .status(204))
        let message = F.message(on: F.webhookName)
        try await Self.withSender(F.webhook(url: receiver.url("/hooks/countersign"))) { sender in
            #expect(await sender.send(message) == .delivered)
        }
        await receiver.stop()
        let received = try #require(receiver.received.first)
        #expect(received.path == "/hooks/countersign")
        #expect(received.header("Countersign-Delivery") == message.id.rawValue)
        #expect(received.header("Countersign-Dedup-Key") == "grant-7")
        #expect(received.header("Countersign-Timestamp") == "1900000000")
        try WebhookSignature.verify(
            body: received.body, timestamp: try #require(received.header("Countersign-Timestamp")), signature: try #require(received.header("Countersign-Signature")),
            secret: Array(F.webhookSecret.utf8), now: Date(timeIntervalSince1970: 1_900_000_010)
        )
        #expect(try JSONDecoder().decode(WebhookNotice.self, from: Data(received.body)).delivery == message.id.rawValue)
    }

    @Test func aSlackMessageArrivesAtTheWebhooksPath() async throws {
        let receiver = try await HTTPReceiver.start(answering: .status(200, body: "ok"))
        try await Self.withSender(F.slack(base: receiver.url(""))) { sender in
            #expect(await sender.send(F.message(on: F.slackName)) == .delivered)
        }
        await receiver.stop()
        #expect(receiver.received.first?.path == "/services/T0001/B0002/\(F.slackToken)")
    }

    @Test func aFailingReceiverIsRetriedAndTheReasonNamesTheChannelOnly() async throws {
        let receiver = try await HTTPReceiver.start(answering: .fail)
        try await Self.withSender(F.slack(base: receiver.url(""))) { sender in
            let outcome = await sender.send(F.message(on: F.slackName))
            #expect(outcome == .retryable(reason: "security-slack answered HTTP 500: internal error", retryAfter: nil))
        }
        await receiver.stop()
    }

    @Test(arguments: ["120", "Sun, 17 Mar 2030 17:48:40 GMT"])
    func aThrottlingReceiversRetryAfterIsHonoured(retryAfter: String) async throws {
        let receiver = try await HTTPReceiver.start(answering: .tooManyRequests(retryAfter: retryAfter))
        try await Self.withSender(F.pager(eventsURL: receiver.url("/v2/enqueue"))) { sender in
            #expect(await sender.send(F.message()) == .retryable(reason: "oncall-pagerduty answered HTTP 429: slow down", retryAfter: 120))
        }
        await receiver.stop()
    }

    @Test func aRefusingReceiverRejectsTheMessage() async throws {
        let receiver = try await HTTPReceiver.start(answering: .status(400, body: #"{"status":"invalid event","errors":["Length of 'routing_key' is incorrect"]}"#))
        try await Self.withSender(F.pager(eventsURL: receiver.url("/v2/enqueue"))) { sender in
            let outcome = await sender.send(F.message())
            #expect(outcome == .rejected(reason: #"oncall-pagerduty answered HTTP 400: {"status":"invalid event","errors":["Length of 'routing_key' is incorrect"]}"#))
        }
        await receiver.stop()
    }

    @Test func aRedirectIsNotFollowed() async throws {
        let elsewhere = try await HTTPReceiver.start()
        let receiver = try await HTTPReceiver.start(answering: .status(307, headers: [("Location", elsewhere.url("/stolen"))]))
        try await Self.withSender(F.pager(eventsURL: receiver.url("/v2/enqueue"))) { sender in
            guard case .rejected(let reason) = await sender.send(F.message()) else {
                Issue.record("a redirect was not refused")
                return
            }
            #expect(reason == "oncall-pagerduty answered HTTP 307")
        }
        await receiver.stop()
        await elsewhere.stop()
        #expect(elsewhere.received.isEmpty)
    }

    @Test func aStallingReceiverCostsOneAttemptAndNoMore() async throws {
        let receiver = try await HTTPReceiver.start(answering: .stall)
        try await Self.withSender(F.slack(base: receiver.url("")), timeout: .seconds(1)) { sender in
            let outcome = await sender.send(F.message(on: F.slackName))
            #expect(outcome == .retryable(reason: "security-slack: no answer within 1 s", retryAfter: nil))
        }
        await receiver.stop()
        #expect(receiver.received.count == 1)
    }

    @Test func anAbsentReceiverIsRetriedWithoutItsURLInTheReason() async throws {
        let receiver = try await HTTPReceiver.start()
        let url = receiver.url("")
        await receiver.stop()
        try await Self.withSender(F.slack(base: url)) { sender in
            let outcome = await sender.send(F.message(on: F.slackName))
            guard case .retryable(let reason, nil) = outcome else {
                Issue.record("not retryable: \(outcome)")
                return
            }
            #expect(reason.hasPrefix("security-slack: "))
            // Refused, reset, or silent when another test's receiver took the freed port meanwhile:
            // whichever, retried, and the reason names the channel, not its URL.
            #expect(!F.leaks(reason))
            #expect(!reason.contains("/services/"))
        }
    }

    @Test func aHugeAnswerIsReadOnlyToItsBound() async throws {
        let receiver = try await HTTPReceiver.start(answering: .status(400, body: String(repeating: "z", count: 1 << 20)))
        try await Self.withSender(F.webhook(url: receiver.url("/h"))) { sender in
            let reason = Self.reason(await sender.send(F.message(on: F.webhookName)))
            #expect(reason.hasPrefix("siem answered HTTP 400: zzz"))
            #expect(reason.count < 300)
        }
        await receiver.stop()
    }
}
