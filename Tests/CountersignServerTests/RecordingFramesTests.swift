import Asciicast
import CountersignAPI
@testable import CountersignServer
import Testing

/// The frames the page's player draws, computed from a recording alone: the screens as the
/// terminal showed them, only the rows that changed, coalesced, paged.
@Suite("Recording frames for the page's player")
struct RecordingFramesTests {
    typealias Event = (seconds: Double, kind: AsciicastEvent.Kind)

    static func recording(columns: Int = 20, rows: Int = 4, _ events: [Event]) throws -> AsciicastFile {
        try AsciicastFile(
            header: AsciicastHeader(size: try AsciicastSize(columns: columns, rows: rows)),
            events: try events.map { AsciicastEvent(time: try AsciicastTime(microseconds: Int64(($0.seconds * 1_000_000).rounded())), $0.kind) }
        )
    }

    static func frame(_ time: Int64, rows: Int = 4, columns: Int = 20, _ lines: [Int: String], cursor: [Int]) -> RecordingFrameView {
        RecordingFrameView(time: time, rows: rows, columns: columns, lines: Dictionary(uniqueKeysWithValues: lines.map { (String($0.key), $0.value) }), cursor: cursor)
    }

    static let blank = [0: "", 1: "", 2: "", 3: ""]

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let events: [Event]
        let frames: [RecordingFrameView]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "a prompt, then a command and its output: every row first, then only those that changed", events: [
            (0.1, .output("$ ")), (0.5, .output("ls\r\n")), (0.9, .output("notes.txt\r\n$ ")),
        ], frames: [
            frame(100_000, blank.merging([0: "$"]) { $1 }, cursor: [0, 2]),
            frame(500_000, [0: "$ ls"], cursor: [1, 0]),
            frame(900_000, [1: "notes.txt", 2: "$"], cursor: [2, 2]),
        ]),
        Case(name: "clear wipes the rows that held text and homes the cursor", events: [
            (0, .output("$ id\r\nuid=0\r\n$ clear\r\n")), (1, .output("\u{1B}[H\u{1B}[2J$ ")),
        ], frames: [
            frame(0, [0: "$ id", 1: "uid=0", 2: "$ clear", 3: ""], cursor: [3, 0]),
            frame(1_000_000, [0: "$", 1: "", 2: ""], cursor: [0, 2]),
        ]),
        Case(name: "a resize sends every row at the new size", events: [
            (0, .output("hello")), (2, .resize(try! AsciicastSize(columns: 10, rows: 2))), (3, .output("!")),
        ], frames: [
            frame(0, blank.merging([0: "hello"]) { $1 }, cursor: [0, 5]),
            frame(2_000_000, rows: 2, columns: 10, [0: "hello", 1: ""], cursor: [0, 5]),
            frame(3_000_000, rows: 2, columns: 10, [0: "hello!"], cursor: [0, 6]),
        ]),
        Case(name: "events less than 30 ms after the first of their group make one frame, stamped with its time", events: [
            (0, .output("a")), (0.010, .output("b")), (0.029_999, .output("c")), (0.030, .output("d")), (0.059, .output("e")), (0.2, .output("f")),
        ], frames: [
            frame(0, blank.merging([0: "abc"]) { $1 }, cursor: [0, 3]),
            frame(30_000, [0: "abcde"], cursor: [0, 5]),
            frame(200_000, [0: "abcdef"], cursor: [0, 6]),
        ]),
        Case(name: "what was typed and markers change no screen and make no frame", events: [
            (0, .output("$ ")), (1, .input("l")), (1.5, .marker("here")), (2, .output("l")),
        ], frames: [
            frame(0, blank.merging([0: "$"]) { $1 }, cursor: [0, 2]),
            frame(2_000_000, [0: "$ l"], cursor: [0, 3]),
        ]),
        Case(name: "output that changes nothing still makes its frame, with no rows", events: [
            (0, .output("x")), (1, .output("\u{1B}[1m")),
        ], frames: [
            frame(0, blank.merging([0: "x"]) { $1 }, cursor: [0, 1]),
            frame(1_000_000, [:], cursor: [0, 1]),
        ]),
        Case(name: "a recording with nothing in it has no frames", events: [], frames: []),
    ]

    @Test("frames of a recording", arguments: cases)
    func frames(_ example: Case) throws {
        let page = RecordingFrames.page(of: try Self.recording(example.events), from: 0, limit: 100)
        #expect(page.frames == example.frames)
        #expect(page.next == nil)
        #expect(page.duration == example.events.last.map { Int64(($0.seconds * 1_000_000).rounded()) } ?? 0)
    }

    static let counting = (0..<5).map { (Double($0), AsciicastEvent.Kind.output("line \($0)\r\n")) }

    @Test("pages: next names the page after, the first frame of a page holds every row, and from past the end is empty", arguments: [
        (0, 2, [0, 1], 2 as Int?), (2, 2, [2, 3], 4), (4, 2, [4], nil), (0, 5, [0, 1, 2, 3, 4], nil), (0, 4, [0, 1, 2, 3], 4),
        (5, 2, [], nil), (9_999_999, 2000, [], nil),
    ] as [(Int, Int, [Int], Int?)])
    func pages(from: Int, limit: Int, expected: [Int], next: Int?) throws {
        let recording = try Self.recording(Self.counting)
        let all = RecordingFrames.page(of: recording, from: 0, limit: 100).frames
        let page = RecordingFrames.page(of: recording, from: from, limit: limit)
        #expect(page.frames.map(\.time) == expected.map { all[$0].time })
        #expect(page.next == next)
        guard let first = page.frames.first else { return }
        #expect(first.lines.count == first.rows, "a page draws without the pages before it")
        // Its first frame is the screen the frames before it add up to.
        var screen = [String](repeating: "", count: 4)
        for frame in all.prefix(from + 1) {
            for (row, text) in frame.lines { screen[Int(row)!] = text }
        }
        #expect((0..<4).map { first.lines[String($0)] } == screen)
        #expect(Array(page.frames.dropFirst()) == Array(all[(from + 1)..<(from + page.frames.count)]))
    }

    @Test("a limit past the bound is held to it, and a burst of output is at most one frame per 30 ms")
    func bounds() throws {
        // Four seconds of a write every millisecond: 4000 events.
        let burst = try Self.recording((0..<4000).map { (Double($0) / 1000, .output("x")) })
        let page = RecordingFrames.page(of: burst, from: 0, limit: 1_000_000)
        #expect(page.frames.count == 134, "4 s / 30 ms, rounded up")
        #expect(page.next == nil)
        let many = try Self.recording((0..<3000).map { (Double($0), .output("\($0)\r\n")) })
        let held = RecordingFrames.page(of: many, from: 0, limit: 1_000_000)
        #expect(held.frames.count == RecordingFrames.maximumLimit)
        #expect(held.next == RecordingFrames.maximumLimit)
        #expect(RecordingFrames.page(of: many, from: -5, limit: 0).frames.map(\.time) == [0], "from and limit are clamped, never trapped on")
    }
}
