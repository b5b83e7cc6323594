import AsyncHTTPClient
import CountersignCore
import Foundation

/// An HTTP sink: each batch is one POST of JSON lines (`application/x-ndjson`, one
/// `AuditStreamLine` per record, each ending in a newline), through the same bounded attempt as
/// the notification channels, whose answer is read the same way: 2xx is the acknowledgement,
/// anything else is retried (after `Retry-After` where given). With a secret, the batch is signed
/// exactly as a webhook notice (`Countersign-Timestamp`, `Countersign-Signature`: `v1=` and the
/// hex HMAC-SHA256 of the timestamp, a dot and the body), anew on every attempt.
/// `Countersign-First-Sequence` and `Countersign-Last-Sequence` say which records it holds.
public struct HTTPAuditSender: AuditStreamSender {
    static let firstSequenceHeader = "Countersign-First-Sequence"
    static let lastSequenceHeader = "Countersign-Last-Sequence"
    static let contentType = "application/x-ndjson"

    public let sink: AuditSink
    let url: URL
    let secret: ChannelSecret?
    let attempt: HTTPAttempt

    /// Nil for a sink of another kind.
    public init?(sink: AuditSink, client: HTTPClient, clock: any WallClock, timeout: Duration = HTTPChannelSender.defaultTimeout) {
        guard case .http(let url, let secret) = sink.destination else { return nil }
        self.sink = sink
        self.url = url
        self.secret = secret
        attempt = HTTPAttempt(client: client, clock: clock, timeout: timeout)
    }

    public func encode(_ record: AuditRecord) -> EncodedAuditRecord {
        EncodedAuditRecord(record: record, bytes: AuditStreamLine.encode(record) + [UInt8(ascii: "\n")])
    }

    public func send(_ batch: [EncodedAuditRecord]) async -> DeliveryOutcome {
        guard let first = batch.first?.record.sequence, let last = batch.last?.record.sequence else { return .delivered }
        return await attempt.post(Self.request(batch, first: first, last: last, url: url, secret: secret, at: attempt.clock.now()), to: sink)
    }

    static func request(_ batch: [EncodedAuditRecord], first: Int64, last: Int64, url: URL, secret: ChannelSecret?, at now: Date) -> ChannelRequest {
        let body = batch.flatMap(\.bytes)
        var headers: [(name: String, value: String)] = [
            ("Content-Type", contentType), ("User-Agent", ChannelRequest.userAgent),
            (firstSequenceHeader, String(first)), (lastSequenceHeader, String(last)),
        ]
        if let secret {
            let timestamp = Int64(now.timeIntervalSince1970.rounded(.down))
            headers.append((WebhookDelivery.timestampHeader, String(timestamp)))
            headers.append((WebhookDelivery.signatureHeader, WebhookSignature.sign(body: body, timestamp: timestamp, secret: Array(secret.revealed.utf8))))
        }
        return ChannelRequest(url: url.absoluteString, headers: headers, body: body)
    }
}
