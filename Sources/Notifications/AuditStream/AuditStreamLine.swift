import CountersignCore
import Foundation

/// One audit record as a sink receives it: a JSON object on one line, keys sorted, with every field
/// the chain hash covers and both hashes (lowercase hex), so that a receiver can recompute the hash
/// (docs/canonical-encoding.md §2) and check that each record names the one before it.
/// `time_ms` is the time exactly as hashed (milliseconds since the epoch); `time` says the same in
/// ISO 8601.
struct AuditStreamLine: Encodable {
    let sequence: Int64
    let time: String
    let timeMs: Int64
    let actor: String
    let action: String
    let subject: String
    let details: [String: String]
    let previousHash: String
    let hash: String

    enum CodingKeys: String, CodingKey {
        case sequence, time, timeMs = "time_ms", actor, action, subject, details, previousHash = "previous_hash", hash
    }

    init(_ record: AuditRecord) {
        sequence = record.sequence
        time = NoticeTime.iso8601(record.event.time)
        timeMs = record.event.time.millisecondsSinceEpoch
        actor = record.event.actor
        action = record.event.action.rawValue
        subject = record.event.subject
        details = record.event.details
        previousHash = record.previousHash.hexString
        hash = record.hash.hexString
    }

    /// The line's bytes, without its newline. JSON escapes every control character, so a value
    /// holding a newline cannot split a record across lines.
    static func encode(_ record: AuditRecord) -> [UInt8] {
        JSONBody.encode(AuditStreamLine(record))
    }
}
