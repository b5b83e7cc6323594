/// A recording as text: what the user saw, with the escape sequences applied by a
/// `TerminalScreen` of the recording's size (resized as the recording says). The lines are the
/// ones that left the screen, in the order they did, then the final screen's non-empty lines;
/// each carries the time it was last written to. See `TerminalScreen` for what is applied.
public struct Transcript: Hashable, Sendable {
    public let lines: [TranscriptLine]
    /// Lines left out because the transcript reached its budget of bytes.
    public let omittedLines: Int

    public init(lines: [TranscriptLine], omittedLines: Int = 0) {
        self.lines = lines
        self.omittedLines = omittedLines
    }

    /// Plays the recording's output and resizes through a screen.
    public init(recording: AsciicastFile, budget: Int = TerminalScreen.defaultHistoryBudget) {
        var screen = TerminalScreen(size: recording.header.size, historyBudget: budget)
        for event in recording.events {
            switch event.kind {
            case .output(let text): screen.feed(text, at: event.time)
            case .resize(let size): screen.resize(to: size, at: event.time)
            case .input, .marker: continue
            }
        }
        lines = screen.finish()
        omittedLines = screen.omittedLines
    }

    /// The export: one line of text per transcript line, each ended by a newline.
    public var text: String {
        var text = ""
        for line in lines {
            text += line.text
            text += "\n"
        }
        return text
    }
}
