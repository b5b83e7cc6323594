import CountersignCore
import Foundation

/// A receiver's `Retry-After` (RFC 9110 §10.2.3): delta-seconds, or an HTTP-date in any of the
/// three forms a recipient must accept. Bounded by `DeliveryRules.maximumRetryAfter`, so a
/// receiver cannot park a page for a year; a date in the past asks for no wait.
enum RetryAfter {
    static func seconds(_ value: String, now: Date) -> TimeInterval? {
        let text = value.trimmingCharacters(in: .whitespaces)
        let bound = DeliveryRules.maximumRetryAfter
        if !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) {
            // More digits than the bound has cannot be within it (and would overflow an Int).
            guard text.utf8.count <= String(Int(bound)).utf8.count, let seconds = Int(text) else { return bound }
            return min(TimeInterval(seconds), bound)
        }
        guard text.utf8.count <= 64, let date = httpDate(text) else { return nil }
        return min(max(date.timeIntervalSince(now), 0), bound)
    }

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the obsolete RFC 850 form
    /// (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime's (`Sun Nov  6 08:49:37 1994`), read strictly
    /// by their shapes. The weekday is not checked: it adds nothing the date does not say.
    static func httpDate(_ text: String) -> Date? {
        let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let day: Int?, month: Int?, year: Int?, time: String
        if words.count == 6, words[0].hasSuffix(","), words[5] == "GMT" {
            (day, month, year, time) = (Int(words[1]), months.firstIndex(of: words[2]), Int(words[3]), words[4])
        } else if words.count == 4, words[0].hasSuffix(","), words[3] == "GMT" {
            let parts = words[1].split(separator: "-").map(String.init)
            guard parts.count == 3, let short = Int(parts[2]) else { return nil }
            // Two digits: 19xx from 70 on, else 20xx (how far ahead is bounded anyway).
            (day, month, year, time) = (Int(parts[0]), months.firstIndex(of: parts[1]), short < 70 ? 2000 + short : 1900 + short, words[2])
        } else if words.count == 5, !words[0].hasSuffix(",") {
            (day, month, year, time) = (Int(words[2]), months.firstIndex(of: words[1]), Int(words[4]), words[3])
        } else {
            return nil
        }
        let clock = time.split(separator: ":").map { Int($0) }
        guard let day, let month, let year, clock.count == 3, let hour = clock[0], let minute = clock[1], let second = clock[2],
              (1...31).contains(day), (1900...9999).contains(year), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        let components = DateComponents(year: year, month: month + 1, day: day, hour: hour, minute: minute, second: second)
        guard components.isValidDate(in: calendar) else { return nil }
        return calendar.date(from: components)
    }
}
