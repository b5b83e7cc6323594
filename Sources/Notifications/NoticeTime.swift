import Foundation

/// How notices write times: ISO 8601 in UTC with milliseconds (`2027-01-15T08:00:00.000Z`), the
/// precision the gateway keeps times at, which PagerDuty's `timestamp` and any JSON reader take.
enum NoticeTime {
    static func iso8601(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
