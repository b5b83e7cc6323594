/// `GET /v1/recordings/{id}/frames?from=N&limit=M`: the screens a recording showed, for the
/// page's player, computed by the gateway's terminal emulator.
public struct RecordingFramesView: Codable, Sendable, Equatable {
    public let frames: [RecordingFrameView]
    /// The `from` of the next page; null when this page holds the last frame.
    public let next: Int?
    /// Microseconds from the start of the session to its last event.
    public let duration: Int64

    public init(frames: [RecordingFrameView], next: Int?, duration: Int64) {
        self.frames = frames
        self.next = next
        self.duration = duration
    }

    enum CodingKeys: String, CodingKey {
        case frames, next, duration
    }

    /// `next` is written as null, not left out: the player stops on it.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(frames, forKey: .frames)
        try container.encode(next, forKey: .next)
        try container.encode(duration, forKey: .duration)
    }
}

/// One screen of a recording: its size, the rows that changed since the frame before it (every
/// row in the first frame of a page and after a resize), and the cursor.
public struct RecordingFrameView: Codable, Sendable, Equatable {
    /// Microseconds from the start of the session.
    public let time: Int64
    public let rows: Int
    public let columns: Int
    /// Row number (from 0, as a string) to the row's text, trailing spaces trimmed.
    public let lines: [String: String]
    /// `[row, column]`, from 0.
    public let cursor: [Int]

    public init(time: Int64, rows: Int, columns: Int, lines: [String: String], cursor: [Int]) {
        self.time = time
        self.rows = rows
        self.columns = columns
        self.lines = lines
        self.cursor = cursor
    }
}

extension APIErrorCode {
    /// A recording the page's player cannot play: over its size bound, or not readable as asciicast.
    public static let recordingUnplayable = "recording_unplayable"
}
