import CountersignCore
import Foundation
import Notifications
import Testing

/// The generic webhook: the notice as JSON, signed with the channel's secret over the attempt's
/// timestamp and the body, and the receiver's check of it.
@Suite struct WebhookDeliveryTests {
    typealias F = NoticeFixtures

    static let secret = Array(F.webhookSecret.utf8)
    static let now = Date(timeIntervalSince1970: 1_900_000_000)

    static func delivery(_ notice: Notice = F.page(), at now: Date = now) -> (message: OutboxMessage, request: ChannelRequest) {
        let message = F.message(notice, on: F.webhookName)
        return (message, F.webhook().request(for: message, at: now))
    }

    @Test func theBodyIsTheNoticeAsJSONWithTheDeliveryID() throws {
        let (message, request) = Self.delivery()
        #expect(request.url == "https://siem.example/hooks/countersign")
        let notice = try JSONDecoder().decode(WebhookNotice.self, from: Data(request.body))
        #expect(notice.delivery == message.id.rawValue)
        #expect(notice.channel == "siem")
        #expect(notice.action == "trigger")
        #expect(notice.dedupKey == "grant-7")
        #expect(notice.summary == F.page().summary)
        #expect(notice.severity == "critical")
        #expect(notice.source == F.source)
        #expect(notice.component == "db-1.prod.example.com")
        #expect(notice.group == "prod")
        #expect(notice.eventClass == "break-glass")
        #expect(notice.link == F.link.absoluteString)
        #expect(notice.details == F.details)
        #expect(notice.time == "2027-01-15T08:00:00.250Z")
        let keys = Set(try F.json(request.body).keys)
        #expect(keys == ["delivery", "channel", "action", "dedup_key", "summary", "severity", "source", "component", "group", "class", "link", "details", "time"])
    }

    @Test func theHeadersNameTheAttemptTheMessageAndTheKeyAndSignTheBody() throws {
        let (message, request) = Self.delivery()
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.header("Countersign-Timestamp") == "1900000000")
        #expect(request.header("Countersign-Delivery") == message.id.rawValue)
        #expect(request.header("Countersign-Dedup-Key") == "grant-7")
        let signature = try #require(request.header("Countersign-Signature"))
        #expect(signature == WebhookSignature.sign(body: request.body, timestamp: 1_900_000_000, secret: Self.secret))
        #expect(signature.hasPrefix("v1=") && signature.utf8.count == 3 + 64)
        try WebhookSignature.verify(body: request.body, timestamp: "1900000000", signature: signature, secret: Self.secret, now: Self.now)
    }

    @Test func aRetryIsSignedAtItsOwnTimeOverTheSameBody() throws {
        let message = F.message(F.page(), on: F.webhookName)
        let first = F.webhook().request(for: message, at: Self.now)
        let later = F.webhook().request(for: message, at: Self.now.addingTimeInterval(3600))
        #expect(first.body == later.body)
        #expect(later.header("Countersign-Timestamp") == "1900003600")
        #expect(first.header("Countersign-Signature") != later.header("Countersign-Signature"))
    }

    @Test func aDedupKeyAHeaderCannotHoldIsPercentEncoded() throws {
        let notice = try Notice(action: .inform, dedupKey: "grant 7\r\nX-Evil: 1%é", summary: "s", severity: .info, source: F.source, eventClass: "c", time: F.time)
        #expect(Self.delivery(notice).request.header("Countersign-Dedup-Key") == "grant%207%0D%0AX-Evil:%201%25%C3%A9")
    }

    @Test func theDocumentedVectorIsWhatIsSigned() {
        // docs/notifications.md; computed apart with Python's hmac module.
        #expect(WebhookSignature.sign(body: Array(#"{"summary":"page"}"#.utf8), timestamp: 1_900_000_000, secret: Self.secret)
            == "v1=8e4b5518ae21ffd1750cda580616d19c64bca92ba9c0ad3155e446e068b1259a")
    }

    struct VerifyCase: CustomTestStringConvertible, Sendable {
        let name: String
        let body: [UInt8]
        let timestamp: String
        let signature: String
        let secret: [UInt8]
        let expected: WebhookSignature.Failure.Code?
        var testDescription: String { name }
    }

    static let verifyCases: [VerifyCase] = {
        let body = Array(#"{"summary":"page"}"#.utf8)
        let good = WebhookSignature.sign(body: body, timestamp: 1_900_000_000, secret: secret)
        let signed = { (seconds: Int64) in WebhookSignature.sign(body: body, timestamp: seconds, secret: secret) }
        return [
            VerifyCase(name: "a good signature is taken", body: body, timestamp: "1900000000", signature: good, secret: secret, expected: nil),
            VerifyCase(name: "a tampered body is refused", body: Array(#"{"summary":"pagE"}"#.utf8), timestamp: "1900000000", signature: good, secret: secret, expected: .mismatch),
            VerifyCase(name: "another secret is refused", body: body, timestamp: "1900000000", signature: good, secret: Array("another-secret-of-16+".utf8), expected: .mismatch),
            VerifyCase(name: "a changed timestamp is refused", body: body, timestamp: "1900000001", signature: good, secret: secret, expected: .mismatch),
            VerifyCase(name: "a timestamp older than the window is refused", body: body, timestamp: "1899999699", signature: signed(1_899_999_699), secret: secret, expected: .expired),
            VerifyCase(name: "a timestamp at the window's edge is taken", body: body, timestamp: "1899999700", signature: signed(1_899_999_700), secret: secret, expected: nil),
            VerifyCase(name: "a timestamp a little ahead is taken", body: body, timestamp: "1900000030", signature: signed(1_900_000_030), secret: secret, expected: nil),
            VerifyCase(name: "a timestamp from the future is refused", body: body, timestamp: "1900000301", signature: signed(1_900_000_301), secret: secret, expected: .fromTheFuture),
            VerifyCase(name: "a timestamp that is not seconds is refused", body: body, timestamp: "1900000000.5", signature: good, secret: secret, expected: .malformedTimestamp),
            VerifyCase(name: "an empty timestamp is refused", body: body, timestamp: "", signature: good, secret: secret, expected: .malformedTimestamp),
            VerifyCase(name: "a negative timestamp is refused", body: body, timestamp: "-1900000000", signature: good, secret: secret, expected: .malformedTimestamp),
            VerifyCase(name: "a huge timestamp is refused", body: body, timestamp: String(repeating: "9", count: 40), signature: good, secret: secret, expected: .malformedTimestamp),
            VerifyCase(name: "a signature without v1 is refused", body: body, timestamp: "1900000000", signature: String(good.dropFirst(3)), secret: secret, expected: .malformedSignature),
            VerifyCase(name: "another scheme alone is refused", body: body, timestamp: "1900000000", signature: "v0=" + good.dropFirst(3), secret: secret, expected: .malformedSignature),
            VerifyCase(name: "a short signature is refused", body: body, timestamp: "1900000000", signature: String(good.dropLast(2)), secret: secret, expected: .malformedSignature),
            VerifyCase(name: "a signature that is not hex is refused", body: body, timestamp: "1900000000", signature: "v1=" + String(repeating: "zz", count: 32), secret: secret, expected: .malformedSignature),
            VerifyCase(name: "an empty signature is refused", body: body, timestamp: "1900000000", signature: "", secret: secret, expected: .malformedSignature),
            VerifyCase(name: "upper-case hex is taken", body: body, timestamp: "1900000000", signature: "v1=" + good.dropFirst(3).uppercased(), secret: secret, expected: nil),
            VerifyCase(
                name: "during a rotation any v1 entry may match", body: body, timestamp: "1900000000",
                signature: "v1=" + String(repeating: "0", count: 64) + ", " + good, secret: secret, expected: nil
            ),
        ]
    }()

    @Test(arguments: verifyCases)
    func verify(_ testCase: VerifyCase) {
        let outcome: WebhookSignature.Failure.Code?
        do {
            try WebhookSignature.verify(body: testCase.body, timestamp: testCase.timestamp, signature: testCase.signature, secret: testCase.secret, now: Self.now)
            outcome = nil
        } catch {
            outcome = error.code
        }
        #expect(outcome == testCase.expected)
    }
}
