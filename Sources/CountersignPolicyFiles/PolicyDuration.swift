/// Durations as policy files and the CLI write them: a number and a unit (`90s`, `30m`, `4h`,
/// `2d`), or several from the largest unit down (`1h30m`).
public enum PolicyDuration {
    private static let units: [(suffix: Character, seconds: Int)] = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)]

    /// Whole seconds, or nil when the text is not such a duration. Bare numbers are refused:
    /// `pending_ttl: 4` could mean seconds, minutes or hours, and the difference is an outage or
    /// a hole.
    public static func seconds(from text: String) -> Int? {
        var total = 0
        var digits = ""
        var nextUnit = 0
        for character in text {
            if character.isASCII, character.isNumber {
                // Six digits is far beyond any bound a policy accepts and cannot overflow.
                guard digits.count < 6 else { return nil }
                digits.append(character)
                continue
            }
            guard !digits.isEmpty, let value = Int(digits),
                  let unit = units[nextUnit...].firstIndex(where: { $0.suffix == character })
            else { return nil }
            total += value * units[unit].seconds
            nextUnit = unit + 1
            digits = ""
        }
        guard digits.isEmpty, nextUnit > 0 else { return nil }
        return total
    }

    /// The shortest text `seconds(from:)` reads back as `seconds`: 5400 → `1h30m`.
    public static func text(_ seconds: Int) -> String {
        guard seconds > 0 else { return "0s" }
        var rest = seconds
        var text = ""
        for unit in units where rest >= unit.seconds {
            text += "\(rest / unit.seconds)\(unit.suffix)"
            rest %= unit.seconds
        }
        return text
    }
}
