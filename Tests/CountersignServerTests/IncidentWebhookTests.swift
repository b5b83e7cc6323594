import Crypto
import Foundation
@testable import CountersignServer
import Testing

/// The paging service's "incident resolved" webhook: verified before it is read, within its
/// replay window, and matched to the incident references grants were made for.
@Suite("Incident webhooks")
struct IncidentWebhookTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let secret = SymmetricKey(data: Array("whsec-current".utf8))
    static let previous = SymmetricKey(data: Array("whsec-previous".utf8))

    static func body(type: String = "incident.resolved", occurred: Date = now, incident: String = "Q1ABCDEF", number: Int? = 1042) -> [UInt8] {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let numberField = number.map { #", "number": \#($0)"# } ?? ""
        return Array("""
            {"event": {"id": "01DEN4HMBHCQ2DGPH5JUR5FWKN", "event_type": "\(type)", "resource_type": "incident",
             "occurred_at": "\(formatter.string(from: occurred))", "agent": null,
             "data": {"id": "\(incident)", "type": "incident"\(numberField), "status": "resolved", "title": "Checkout down"}}}
            """.utf8)
    }

    static func signature(_ body: [UInt8], _ key: SymmetricKey = secret) -> String {
        "v1=" + HMAC<SHA256>.authenticationCode(for: body, using: key).map { String(format: "%02x", $0) }.joined()
    }

    @Test("a signed, fresh incident.resolved is read; a rotated secret's signature beside the current one is taken too")
    func accepted() throws {
        let body = Self.body()
        let event = try IncidentWebhook(body: body, signatureHeader: Self.signature(body), secrets: [Self.secret], at: Self.now)
        #expect(event.resolvesAnIncident && event.incidentID == "Q1ABCDEF" && event.incidentNumber == 1042)
        let rotating = "\(Self.signature(body, Self.previous)), \(Self.signature(body))"
        #expect(try IncidentWebhook(body: body, signatureHeader: rotating, secrets: [Self.secret], at: Self.now) == event)
        #expect(try IncidentWebhook(body: body, signatureHeader: Self.signature(body, Self.previous), secrets: [Self.secret, Self.previous], at: Self.now) == event)
        #expect(try IncidentWebhook(body: body, signatureHeader: Self.signature(body), secrets: [Self.secret], at: Self.now.addingTimeInterval(300)) == event)
    }

    struct RefusalCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let body: [UInt8]
        let header: String?
        let now: Date
        let refusal: IncidentWebhook.Refusal
    }

    static let refusals: [RefusalCase] = {
        let body = Self.body()
        var tampered = body
        tampered[tampered.count - 5] ^= 0x01
        let stale = Self.body(occurred: now.addingTimeInterval(-301))
        let future = Self.body(occurred: now.addingTimeInterval(301))
        let huge = Array(repeating: UInt8(ascii: " "), count: IncidentWebhook.maximumBodySize + 1)
        return [
            RefusalCase(testDescription: "no signature header", body: body, header: nil, now: now, refusal: .unsigned),
            RefusalCase(testDescription: "an empty signature header", body: body, header: "", now: now, refusal: .unsigned),
            RefusalCase(testDescription: "signed with another secret", body: body, header: signature(body, SymmetricKey(data: Array("guess".utf8))), now: now, refusal: .badSignature),
            RefusalCase(testDescription: "a body changed after signing", body: tampered, header: signature(body), now: now, refusal: .badSignature),
            RefusalCase(testDescription: "a signature of another version", body: body, header: signature(body).replacingOccurrences(of: "v1=", with: "v0="), now: now, refusal: .badSignature),
            RefusalCase(testDescription: "a truncated signature", body: body, header: String(signature(body).dropLast(2)), now: now, refusal: .badSignature),
            RefusalCase(testDescription: "a signature that is not hex", body: body, header: "v1=" + String(repeating: "zz", count: 32), now: now, refusal: .badSignature),
            RefusalCase(testDescription: "a body over 64 KiB, however signed", body: huge, header: signature(huge), now: now, refusal: .badSignature),
            RefusalCase(testDescription: "a replay older than five minutes", body: stale, header: signature(stale), now: now, refusal: .stale),
            RefusalCase(testDescription: "an event from five minutes in the future", body: future, header: signature(future), now: now, refusal: .stale),
            RefusalCase(testDescription: "signed but not JSON", body: Array("not json".utf8), header: signature(Array("not json".utf8)), now: now, refusal: .malformed("the body is not a PagerDuty v3 webhook event")),
        ]
    }()

    @Test("refusals", arguments: refusals)
    func refused(_ row: RefusalCase) {
        #expect(throws: row.refusal) { try IncidentWebhook(body: row.body, signatureHeader: row.header, secrets: [Self.secret], at: row.now) }
    }

    @Test("another event type is read but resolves nothing")
    func otherEvents() throws {
        let body = Self.body(type: "incident.acknowledged")
        #expect(!(try IncidentWebhook(body: body, signatureHeader: Self.signature(body), secrets: [Self.secret], at: Self.now)).resolvesAnIncident)
    }

    @Test("a grant's incident reference names the incident by its id or by its number as trailing digits, nothing looser")
    func references() throws {
        let body = Self.body()
        let event = try IncidentWebhook(body: body, signatureHeader: Self.signature(body), secrets: [Self.secret], at: Self.now)
        for reference in ["Q1ABCDEF", "INC-1042", "1042", "PD-01042"] {
            #expect(event.names(reference), "\(reference)")
        }
        for reference in ["q1abcdef", "INC-10421", "INC-104", "INC-1042x", "", "INC-", "INC-99999999999999999999999"] {
            #expect(!event.names(reference), "\(reference)")
        }
        let unnumbered = Self.body(number: nil)
        #expect(!(try IncidentWebhook(body: unnumbered, signatureHeader: Self.signature(unnumbered), secrets: [Self.secret], at: Self.now)).names("INC-1042"))
    }
}
