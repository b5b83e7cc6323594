/// What the user typed, as lines, rebuilt from a recording's input events with line editing
/// applied the simple way a shell's line editor would in the common case:
/// - Enter (CR or LF) ends a line; the line's time is when Enter was pressed, the moment the
///   command was given;
/// - Backspace (DEL or BS) removes the last character, Ctrl-U the whole line, Ctrl-W the last
///   word and the spaces after it;
/// - Ctrl-C and Ctrl-D end the line as it stood (it was typed, even if not run);
/// - escape sequences (arrow keys, function keys, bracketed-paste markers) and other controls
///   are left out. Cursor movement inside the line, history recall and tab completion are not
///   replayed: what they put on the line is in the output, which is searched too.
/// A line longer than `maximumLineLength` characters is ended there and the rest starts the next.
public struct TypedLines: Hashable, Sendable {
    public static let maximumLineLength = 4096

    public let lines: [TranscriptLine]

    public init(recording: AsciicastFile) {
        var builder = Builder()
        for event in recording.events {
            guard case .input(let text) = event.kind else { continue }
            for character in text.unicodeScalars { builder.add(character, at: event.time) }
        }
        builder.end(at: recording.events.last?.time ?? .zero)
        lines = builder.lines
    }

    /// The lines typed in `input`, given as it would be in one event at `time`.
    public init(input: String, at time: AsciicastTime) {
        var builder = Builder()
        for character in input.unicodeScalars { builder.add(character, at: time) }
        builder.end(at: time)
        lines = builder.lines
    }

    private struct Builder {
        var lines: [TranscriptLine] = []
        var current: [Unicode.Scalar] = []
        var escape = Escape.none

        enum Escape { case none, started, sequence, ss3 }

        mutating func add(_ scalar: Unicode.Scalar, at time: AsciicastTime) {
            switch escape {
            case .started:
                switch scalar {
                case "[": escape = .sequence
                case "O": escape = .ss3
                default: escape = .none // Alt+key: the key is dropped with its ESC
                }
                return
            case .sequence:
                // Parameters and intermediates until a final byte.
                if (0x40...0x7E).contains(scalar.value) || scalar.value >= 0x80 { escape = .none }
                return
            case .ss3:
                escape = .none
                return
            case .none:
                break
            }
            switch scalar.value {
            case 0x1B: escape = .started
            case 0x0D, 0x0A, 0x03, 0x04: end(at: time)
            case 0x7F, 0x08: if !current.isEmpty { current.removeLast() }
            case 0x15: current.removeAll()
            case 0x17:
                while current.last == " " { current.removeLast() }
                while let last = current.last, last != " " { current.removeLast() }
            case 0x09: current.append(" ")
            case 0x00..<0x20, 0x80..<0xA0: break
            default:
                current.append(scalar)
                if current.count >= TypedLines.maximumLineLength { end(at: time) }
            }
        }

        mutating func end(at time: AsciicastTime) {
            var text = ""
            text.unicodeScalars.append(contentsOf: current)
            let trimmed = TranscriptCollector.trimmingTrailingSpaces(text)
            if !trimmed.isEmpty { lines.append(TranscriptLine(text: trimmed, time: time)) }
            current.removeAll()
        }
    }
}
