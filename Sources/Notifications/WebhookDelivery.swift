import CountersignCore
import Foundation

/// A notice as a signed webhook POST: the body is `WebhookNotice` as JSON, and
/// - `Countersign-Timestamp`: when this attempt was made, in unix seconds (a retry signs anew, so
///   a receiver's replay window holds for messages delivered late);
/// - `Countersign-Signature`: `v1=` and the hex HMAC-SHA256, under the channel's secret, of the
///   timestamp, a dot and the body's bytes (`WebhookSignature`);
/// - `Countersign-Delivery`: the outbox message's id, the same on every attempt;
/// - `Countersign-Dedup-Key`: the notice's dedup key, percent-encoded where it is not printable
///   ASCII (a header cannot hold it otherwise).
enum WebhookDelivery {
    static let timestampHeader = "Countersign-Timestamp"
    static let signatureHeader = "Countersign-Signature"
    static let deliveryHeader = "Countersign-Delivery"
    static let dedupKeyHeader = "Countersign-Dedup-Key"

    static func request(for message: OutboxMessage, url: URL, secret: ChannelSecret, at now: Date) -> ChannelRequest {
        let body = JSONBody.encode(WebhookNotice(message))
        let timestamp = Int64(now.timeIntervalSince1970.rounded(.down))
        return ChannelRequest(
            url: url.absoluteString,
            headers: [
                ("Content-Type", "application/json"), ("User-Agent", ChannelRequest.userAgent),
                (timestampHeader, String(timestamp)),
                (signatureHeader, WebhookSignature.sign(body: body, timestamp: timestamp, secret: Array(secret.revealed.utf8))),
                (deliveryHeader, message.id.rawValue),
                (dedupKeyHeader, headerSafe(message.notice.dedupKey)),
            ],
            body: body
        )
    }

    static func headerSafe(_ text: String) -> String {
        text.utf8.map { byte in
            (0x21...0x7e).contains(byte) && byte != UInt8(ascii: "%") ? String(UnicodeScalar(byte)) : String(format: "%%%02X", byte)
        }.joined()
    }
}
