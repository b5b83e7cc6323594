import Foundation

/// Times as the pages show them: UTC to the minute for people, ISO 8601 for `<time datetime>`.
enum DisplayTime {
    static func text(_ date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d UTC", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0)
    }

    static func machine(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .gmt
        return calendar
    }()
}

/// A time shown in a page: the text and the `datetime` attribute.
struct TimeView: Sendable {
    let text: String
    let machine: String

    init(_ date: Date) {
        text = DisplayTime.text(date)
        machine = DisplayTime.machine(date)
    }
}
