import Crypto
import Foundation
import Notifications

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
        SignatureHeader.matches(SignatureHeader.codes(in: header), message: body, keys: secrets)
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
