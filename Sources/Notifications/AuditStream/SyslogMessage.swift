import CountersignCore
import Foundation

/// One audit record as a syslog message (RFC 5424), framed for TCP by octet counting (RFC 6587
/// §3.4.1: the message's length in bytes, a space, the message):
///
/// ```
/// <110>1 2027-01-15T08:00:00.000Z gateway-1 countersign - audit [countersign@32473 sequence="5" hash="…" previous_hash="…"] BOM{…}
/// ```
///
/// - PRI: the facility's code × 8 + 6 (informational); `log_audit` gives 110.
/// - TIMESTAMP: the event's time in UTC, to the millisecond, as hashed.
/// - HOSTNAME: the configured name; APP-NAME `countersign`; no PROCID; MSGID `audit`.
/// - Structured data `countersign@32473`: the sequence and both hashes, so that a relay can check
///   continuity without parsing the message. 32473 is the enterprise number RFC 5612 sets aside
///   for documentation: Countersign has none of its own, and the name is fixed so that filters
///   written for it keep working.
/// - MSG: a UTF-8 byte order mark, then the record's `AuditStreamLine`, the same JSON an HTTP sink
///   receives.
enum SyslogMessage {
    static let structuredDataID = "countersign@32473"
    static let appName = "countersign"
    static let messageID = "audit"
    /// Informational: an audit event is a record, not an alarm.
    static let severity = 6
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    static func framed(_ record: AuditRecord, to destination: SyslogDestination) -> [UInt8] {
        let message = self.message(record, to: destination)
        return Array("\(message.count) ".utf8) + message
    }

    static func message(_ record: AuditRecord, to destination: SyslogDestination) -> [UInt8] {
        let priority = destination.facility.code * 8 + severity
        // The values are digits and hex: nothing in them needs RFC 5424's escaping of `"`, `\` and `]`.
        let data = "[\(structuredDataID) sequence=\"\(record.sequence)\" hash=\"\(record.hash.hexString)\" previous_hash=\"\(record.previousHash.hexString)\"]"
        let header = "<\(priority)>1 \(NoticeTime.iso8601(record.event.time)) \(destination.hostname) \(appName) - \(messageID) \(data) "
        return Array(header.utf8) + byteOrderMark + AuditStreamLine.encode(record)
    }
}
