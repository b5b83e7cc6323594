/// One line of what the user saw: its text (trailing spaces trimmed) and the time it was last
/// written to (for a row never written, a blank one, the time it left the screen), so that a
/// search can say where in the session it was.
public struct TranscriptLine: Hashable, Sendable, CustomStringConvertible {
    public let text: String
    public let time: AsciicastTime

    public init(text: String, time: AsciicastTime) {
        self.text = text
        self.time = time
    }

    public var description: String { "[\(time)] \(text)" }
}

/// Collects the lines leaving a screen, joining a row the terminal wrapped onto the next with the
/// row it continued in, so that a long command line or URL is one line in the export and can be
/// found by search.
struct TranscriptCollector: Sendable {
    private(set) var lines: [TranscriptLine] = []
    private var joined: (text: String, time: AsciicastTime)?

    /// Adds a row's text. `wrapped` says the terminal carried on writing into the next row;
    /// `keepIfEmpty` keeps an empty row (scrolled lines keep their blank lines, screen dumps do
    /// not).
    mutating func add(_ text: String, untrimmed: String, time: AsciicastTime, wrapped: Bool, keepIfEmpty: Bool) {
        if var pending = joined {
            pending.text += wrapped ? untrimmed : text
            pending.time = max(pending.time, time)
            if wrapped {
                joined = pending
            } else {
                lines.append(TranscriptLine(text: Self.trimmingTrailingSpaces(pending.text), time: pending.time))
                joined = nil
            }
            return
        }
        if wrapped {
            joined = (untrimmed, time)
        } else if keepIfEmpty || !text.isEmpty {
            lines.append(TranscriptLine(text: text, time: time))
        }
    }

    /// Ends a line still waiting for its continuation.
    mutating func close() {
        guard let pending = joined else { return }
        lines.append(TranscriptLine(text: Self.trimmingTrailingSpaces(pending.text), time: pending.time))
        joined = nil
    }

    static func trimmingTrailingSpaces(_ text: String) -> String {
        var end = text.utf8.endIndex
        while end > text.utf8.startIndex {
            let before = text.utf8.index(before: end)
            guard text.utf8[before] == 0x20 else { break }
            end = before
        }
        return String(text[..<end])
    }

    mutating func take() -> [TranscriptLine] {
        defer { lines = [] }
        return lines
    }
}
