import Crypto
import Foundation

/// The paging service telling the gateway that an incident was resolved: a PagerDuty webhook
/// (v3, "Generic Webhooks"), whose `incident.resolved` event ends every break-glass grant made for
/// that incident. Facts of the format relied on: the body is one JSON object `{"event": {...}}`
/// with the event's `id`, `event_type`, `occurred_at` (ISO 8601) and `data` (the incident: `id`,
/// `number`, `status`); the `X-PagerDuty-Signature` header holds one or more comma-separated
/// `v1=<hex>` signatures, each an HMAC-SHA256 of the raw body under one of the subscription's
/// secrets (several while a secret is rotated).
struct IncidentWebhook: Equatable, Sendable {
    static let maximumBodySize = 64 * 1024
    /// An event older than this, or this far ahead of the gateway's clock, is refused: a captured
    /// request replayed later cannot end a grant for another incident of the same number.
    static let replayWindow: TimeInterval = 300
    static let signatureHeader = "X-PagerDuty-Signature"

    enum Refusal: Error, Equatable {
        case unsigned
        case badSignature
        case malformed(String)
        case stale
    }

    let eventID: String
    let eventType: String
    let occurredAt: Date
    let incidentID: String
    let incidentNumber: Int?

    var resolvesAnIncident: Bool { eventType == "incident.resolved" }

    /// The event in `body`, once one of its signatures is an HMAC of these very bytes under one of
    /// `secrets`, and it happened within the replay window of `now`. Verified before anything in
    /// the body is read.
    init(body: [UInt8], signatureHeader: String?, secrets: [SymmetricKey], at now: Date) throws(Refusal) {
        guard let header = signatureHeader, !header.isEmpty else { throw .unsigned }
        guard body.count <= Self.maximumBodySize, Self.verify(body, header: header, secrets: secrets) else { throw .badSignature }
        let event: Envelope.Event
        do {
            event = try JSONDecoder().decode(Envelope.self, from: Data(body)).event
        } catch {
            throw .malformed("the body is not a PagerDuty v3 webhook event")
        }
        guard let occurredAt = Self.parseTime(event.occurredAt) else { throw .malformed("occurred_at is not an ISO 8601 time") }
        guard now.timeIntervalSince(occurredAt) <= Self.replayWindow, occurredAt.timeIntervalSince(now) <= Self.replayWindow else { throw .stale }
        guard !event.id.isEmpty, event.id.utf8.count <= 128, !event.data.id.isEmpty, event.data.id.utf8.count <= 128 else {
            throw .malformed("event and incident ids are 1 to 128 bytes")
        }
        eventID = event.id
        eventType = event.eventType
        self.occurredAt = occurredAt
        incidentID = event.data.id
        incidentNumber = event.data.number
    }

    /// Whether the grant's incident reference names this incident: its PagerDuty id as it is
    /// (`Q1ABCDEF`), or a reference whose trailing digits are its number (`INC-1042`, `1042`).
    func names(_ reference: String) -> Bool {
        if reference == incidentID { return true }
        guard let number = incidentNumber else { return false }
        let digits = reference.reversed().prefix { $0.isASCII && $0.isNumber }
        return !digits.isEmpty && digits.count < 19 && Int(String(digits.reversed())) == number
    }

    static func verify(_ body: [UInt8], header: String, secrets: [SymmetricKey]) -> Bool {
        let signatures = header.split(separator: ",").compactMap { part -> [UInt8]? in
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("v1=") else { return nil }
            return Self.hexBytes(trimmed.dropFirst(3))
        }
        for secret in secrets {
            let expected = Array(HMAC<SHA256>.authenticationCode(for: body, using: secret))
            // Every signature is compared whole, in constant time: nothing is learnt from how long a comparison took.
            if signatures.contains(where: { Self.constantTimeEqual($0, expected) }) { return true }
        }
        return false
    }

    private static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return zip(lhs, rhs).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static func hexBytes(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var index = 0
        while index < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func parseTime(_ text: String) -> Date? {
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text) ?? ISO8601DateFormatter().date(from: text)
    }

    private struct Envelope: Decodable {
        struct Event: Decodable {
            struct Incident: Decodable {
                let id: String
                let number: Int?
            }

            let id: String
            let eventType: String
            let occurredAt: String
            let data: Incident

            enum CodingKeys: String, CodingKey {
                case id, data
                case eventType = "event_type"
                case occurredAt = "occurred_at"
            }
        }

        let event: Event
    }
}
