import CountersignCore
import Foundation
@testable import Notifications
import Testing

/// What a receiver's answer makes of an attempt, and how long it may ask to be left alone.
@Suite struct ChannelAnswerTests {
    typealias F = NoticeFixtures

    static let now = Date(timeIntervalSince1970: 1_900_000_000)

    enum Kind: Sendable { case delivered, retryable, rejected }

    static func kind(_ outcome: DeliveryOutcome) -> Kind {
        switch outcome {
        case .delivered: .delivered
        case .retryable: .retryable
        case .rejected: .rejected
        }
    }

    @Test(arguments: [
        (200, Kind.delivered), (202, .delivered), (204, .delivered), (299, .delivered),
        (301, .rejected), (304, .rejected), (400, .rejected), (401, .rejected), (403, .rejected), (404, .rejected), (410, .rejected), (413, .rejected),
        (408, .retryable), (429, .retryable), (500, .retryable), (502, .retryable), (503, .retryable), (504, .retryable), (599, .retryable),
    ])
    func aStatusIsSortedByWhatRetryingCanChange(status: Int, expected: Kind) {
        #expect(Self.kind(ChannelAnswer.outcome(status: status, retryAfter: nil, answer: [], channel: F.pager(), now: Self.now)) == expected)
    }

    @Test(arguments: [
        ("120", 120.0), ("0", 0), (" 7 ", 7), ("3600", 3600), ("3601", 3600), ("99999999999999999999999", 3600),
        ("Sun, 17 Mar 2030 17:49:00 GMT", 100), ("Sunday, 17-Mar-30 17:49:00 GMT", 100), ("Sun Mar 17 17:49:00 2030", 100),
        ("Sun, 17 Mar 2030 17:45:00 GMT", 0), ("Wed, 14 Mar 2040 17:46:40 GMT", 3600),
    ])
    func retryAfterIsReadAsSecondsOrADateAndBounded(header: String, seconds: Double) throws {
        let asked = try #require(RetryAfter.seconds(header, now: Date(timeIntervalSince1970: 1_900_000_000 + 40)))
        #expect(abs(asked - seconds) < 0.001)
    }

    @Test(arguments: [
        "", "soon", "-5", "1.5", "Sun, 17 Mar 2030 17:49:00", "Sun, 31 Feb 2030 17:49:00 GMT",
        "Sun, 17 Mar 2030 24:49:00 GMT", String(repeating: "x", count: 200),
    ])
    func aRetryAfterThatIsNeitherIsIgnored(header: String) {
        #expect(RetryAfter.seconds(header, now: Self.now) == nil)
    }

    @Test func aThrottledAnswerCarriesItsRetryAfter() {
        let outcome = ChannelAnswer.outcome(status: 429, retryAfter: "30", answer: Array("slow down".utf8), channel: F.pager(), now: Self.now)
        #expect(outcome == .retryable(reason: "oncall-pagerduty answered HTTP 429: slow down", retryAfter: 30))
    }

    @Test func aReasonQuotesTheAnswerBoundedAndPrintable() {
        let answer = Array("bad\r\nrequest\u{1b}[31m ".utf8) + Array(repeating: UInt8(ascii: "y"), count: 5000)
        guard case .rejected(let reason) = ChannelAnswer.outcome(status: 400, retryAfter: nil, answer: answer, channel: F.pager(), now: Self.now) else {
            Issue.record("not rejected")
            return
        }
        #expect(reason.hasPrefix("oncall-pagerduty answered HTTP 400: bad  request [31m yyy"))
        #expect(reason.count <= "oncall-pagerduty answered HTTP 400: ".count + ChannelAnswer.quotedAnswerLength + 1)
        #expect(!reason.unicodeScalars.contains { $0.properties.generalCategory == .control })
    }

    @Test(arguments: [
        (F.pager(), F.routingKey), (F.slack(), "https://hooks.slack.com/services/T0001/B0002/\(F.slackToken)"), (F.slack(), F.slackToken),
        (F.webhook(), F.webhookSecret),
    ])
    func aReceiverEchoingItsSecretDoesNotPutItInTheReason(channel: NotificationChannel, echoed: String) {
        let outcome = ChannelAnswer.outcome(status: 400, retryAfter: nil, answer: Array("bad: \(echoed)".utf8), channel: channel, now: Self.now)
        guard case .rejected(let reason) = outcome else {
            Issue.record("not rejected")
            return
        }
        #expect(!F.leaks(reason), "\(reason)")
        #expect(reason.contains("(withheld)"))
    }
}
