import Asciicast
import CountersignAPI

/// The screens the page's player draws, computed here so that the terminal is emulated in one
/// place (the `TerminalScreen` of the text export and the search) and the page only paints rows
/// of text. Pure over a recording.
///
/// The output and resize events are replayed in order; input and markers change no screen. An
/// event less than `coalescingWindow` after the first event of its group joins that group, and a
/// group is one frame, stamped with its first event's time and showing the screen after its last:
/// a burst of output (`cat` of a big file) becomes at most ~33 frames a second, not one per write.
/// Frames are numbered from 0 in that order, the same on every read of the same bytes.
///
/// A frame holds the rows that changed since the frame before it. The first frame of a page, and
/// a frame whose size differs from the one before it, hold every row: any page draws without the
/// pages before it, so a player can jump.
enum RecordingFrames {
    static let coalescingWindow: Int64 = 30_000
    static let defaultLimit = 500
    static let maximumLimit = 2000
    /// No recording the gateway reads has more events than this, hence no more frames.
    static let maximumFrom = 10_000_000

    /// Frames `from ..< from + limit` (fewer at the end); `next` is `from + limit` when a frame
    /// follows them.
    static func page(of recording: AsciicastFile, from: Int, limit: Int) -> RecordingFramesView {
        let from = max(0, from)
        let limit = min(max(1, limit), maximumLimit)
        let events = recording.events.filter { event in
            switch event.kind {
            case .output, .resize: true
            case .input, .marker: false
            }
        }
        // The collected transcript is of no use here: a budget of nothing keeps no lines.
        var screen = TerminalScreen(size: recording.header.size, historyBudget: 0)
        var frames: [RecordingFrameView] = []
        var previous: (lines: [String], size: AsciicastSize)?
        var index = 0
        var position = 0
        var next: Int?
        while position < events.count {
            let start = events[position].time.microseconds
            while position < events.count, events[position].time.microseconds - start < coalescingWindow {
                switch events[position].kind {
                case .output(let text): screen.feed(text, at: events[position].time)
                case .resize(let size): screen.resize(to: size, at: events[position].time)
                case .input, .marker: break
                }
                position += 1
            }
            let frame = index
            index += 1
            guard frame >= from else { continue }
            guard frames.count < limit else {
                next = from + limit
                break
            }
            let lines = screen.screenLines
            var changed: [String: String] = [:]
            for (row, text) in lines.enumerated() {
                if let previous, previous.size == screen.size, previous.lines[row] == text { continue }
                changed[String(row)] = text
            }
            let cursor = screen.cursor
            frames.append(RecordingFrameView(
                time: start, rows: screen.rows, columns: screen.columns, lines: changed,
                cursor: [min(cursor.row, screen.rows - 1), min(cursor.column, screen.columns - 1)]
            ))
            previous = (lines, screen.size)
        }
        return RecordingFramesView(frames: frames, next: next, duration: recording.events.last?.time.microseconds ?? 0)
    }
}
