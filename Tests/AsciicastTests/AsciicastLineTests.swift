import Asciicast
import Testing

@Suite("Asciicast header and event lines")
struct AsciicastLineTests {
    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test("a header is written as one line with asciinema's keys and spacing, and reads back")
    func headerRoundTrip() throws {
        let header = try AsciicastHeader(
            size: AsciicastSize(columns: 120, rows: 40), timestamp: 1_796_240_392, idleTimeLimit: time(2_500_000),
            command: "/usr/bin/countersign record", title: "db-1 \"prod\"", shell: "/bin/bash", term: "xterm-256color"
        )
        let line = header.jsonLine()
        #expect(Self.text(line) == #"{"version": 2, "width": 120, "height": 40, "timestamp": 1796240392, "idle_time_limit": 2.500000, "command": "/usr/bin/countersign record", "title": "db-1 \"prod\"", "env": {"SHELL": "/bin/bash", "TERM": "xterm-256color"}}"# + "\n")
        #expect(try AsciicastHeader(jsonLine: line) == header)
        let minimal = try AsciicastHeader(size: AsciicastSize(columns: 80, rows: 24))
        #expect(Self.text(minimal.jsonLine()) == #"{"version": 2, "width": 80, "height": 24}"# + "\n")
        #expect(try AsciicastHeader(jsonLine: minimal.jsonLine()) == minimal)
    }

    @Test("the header asciinema 2.2 writes is read: TERM null, unknown keys and other variables left out")
    func asciinemaHeader() throws {
        let line = ##"{"version": 2, "width": 80, "height": 24, "timestamp": 1796240398, "idle_time_limit": 2.5, "env": {"SHELL": "/bin/bash", "TERM": null, "SECRET": "x"}, "title": "T", "duration": 1.5, "theme": {"fg": "#d0d0d0"}}"##
        let header = try AsciicastHeader(jsonLine: Array(line.utf8))
        #expect(header.width == 80 && header.height == 24)
        #expect(header.timestamp == 1_796_240_398)
        #expect(header.idleTimeLimit == time(2_500_000))
        #expect(header.shell == "/bin/bash" && header.term == nil)
        #expect(header.title == "T" && header.command == nil)
        #expect(!Self.text(header.jsonLine()).contains("SECRET"))
    }

    static let refusedHeaders: [(String, AsciicastFormatError.Code)] = [
        (#"{"version": 1, "width": 80, "height": 24}"#, .unsupportedVersion),
        (#"{"version": 3, "term": {"cols": 80, "rows": 24}}"#, .unsupportedVersion),
        (#"{"width": 80, "height": 24}"#, .unsupportedVersion),
        (#"{"version": "2", "width": 80, "height": 24}"#, .invalidField),
        (#"{"version": 2, "height": 24}"#, .invalidField),
        (#"{"version": 2, "width": 0, "height": 24}"#, .invalidField),
        (#"{"version": 2, "width": 1001, "height": 24}"#, .invalidField),
        (#"{"version": 2, "width": 80, "height": -24}"#, .invalidField),
        (#"{"version": 2, "width": 80.5, "height": 24}"#, .invalidField),
        (#"{"version": 2, "width": 80, "height": 24, "timestamp": 1.5}"#, .invalidField),
        (#"{"version": 2, "width": 80, "height": 24, "timestamp": -1}"#, .invalidField),
        (#"{"version": 2, "width": 80, "height": 24, "idle_time_limit": -1}"#, .invalidTime),
        (#"{"version": 2, "width": 80, "height": 24, "idle_time_limit": "2"}"#, .invalidField),
        (#"{"version": 2, "width": 80, "height": 24, "title": 7}"#, .invalidField),
        (#"{"version": 2, "width": 80, "height": 24, "env": []}"#, .invalidField),
        (#"{"version": 2, "width": 80, "height": 24, "env": {"TERM": 1}}"#, .invalidField),
        (#"{"version": 2, "width": 80, "height": 24, "title": "\#(String(repeating: "t", count: 4097))"}"#, .tooLong),
        (#"{"version": 2, "width": 80, "width": 81, "height": 24}"#, .malformed),
        (#"{"version": 2, "width": 80, "height": 24"#, .malformed),
        (#"{"version": 2, "width": 80, "height": 24} x"#, .malformed),
        (#"[2, 80, 24]"#, .malformed),
        (#"{"version": 2, "width": 80, "height": 24, "a": [[[[[[[[[]]]]]]]]]}"#, .malformed),
        ("", .malformed),
    ]

    @Test("a header that is not asciicast v2 within bounds is refused with its reason", arguments: 0..<refusedHeaders.count)
    func refusesHeaders(_ index: Int) {
        let (line, code) = Self.refusedHeaders[index]
        let error = #expect(throws: AsciicastFormatError.self, "\(line)") { try AsciicastHeader(jsonLine: Array(line.utf8)) }
        #expect(error?.code == code, "\(line): \(String(describing: error))")
    }

    @Test("events of each kind are written as asciinema writes them and read back")
    func eventRoundTrips() throws {
        let events: [(AsciicastEvent, String)] = [
            (AsciicastEvent(time: time(248_848), .output("\u{1b}[1;31mHello \u{1b}[32mWorld!\u{1b}[0m\n")), #"[0.248848, "o", "\u001b[1;31mHello \u001b[32mWorld!\u001b[0m\n"]"#),
            (AsciicastEvent(time: time(1_000_000), .input("ls -la\r")), #"[1.000000, "i", "ls -la\r"]"#),
            (AsciicastEvent(time: time(4_050_000), .resize(try AsciicastSize(columns: 90, rows: 30))), #"[4.050000, "r", "90x30"]"#),
            (AsciicastEvent(time: time(1_500_000), .marker("")), #"[1.500000, "m", ""]"#),
            (AsciicastEvent(time: time(2_000_000), .marker("deploy")), #"[2.000000, "m", "deploy"]"#),
            (AsciicastEvent(time: time(3), .output("é日😀")), #"[0.000003, "o", "é日😀"]"#),
        ]
        for (event, line) in events {
            #expect(Self.text(event.jsonLine()) == line + "\n")
            #expect(try AsciicastEvent(jsonLine: event.jsonLine()) == event)
        }
    }

    @Test("every C0 control, DEL, the quote and the backslash are escaped; nothing else is")
    func escaping() throws {
        var text = ""
        for value in 0..<0x20 { text.unicodeScalars.append(Unicode.Scalar(UInt8(value))) }
        text += "\u{7F}\"\\/ ~é\u{2028}"
        let line = Self.text(AsciicastEvent(time: .zero, .output(text)).jsonLine())
        let expected = #"\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f"#
            + #"\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f"#
            + #"\u007f\"\\/ ~é"# + "\u{2028}"
        #expect(line == #"[0.000000, "o", ""# + expected + "\"]\n")
        #expect(try AsciicastEvent(jsonLine: Array(line.utf8)).kind == .output(text))
    }

    @Test("JSON escapes written by others are read: \\/, \\u with upper-case hex, surrogate pairs")
    func readsOtherEscapes() throws {
        let event = try AsciicastEvent(jsonLine: Array(#"[0.5,"o","\/\u00E9\ud83d\ude00\u0000"]"#.utf8))
        #expect(event.kind == .output("/é😀\u{0}"))
    }

    static let refusedEvents: [(String, AsciicastFormatError.Code)] = [
        (#"[0.5, "o"]"#, .malformed),
        (#"[0.5, "o", "a", "b"]"#, .malformed),
        (#"{"time": 0.5}"#, .malformed),
        (#"["0.5", "o", "a"]"#, .invalidTime),
        (#"[-0.5, "o", "a"]"#, .invalidTime),
        (#"[NaN, "o", "a"]"#, .malformed),
        (#"[0.5, "x", "0"]"#, .unknownEventCode),
        (#"[0.5, "O", "a"]"#, .unknownEventCode),
        (#"[0.5, 111, "a"]"#, .malformed),
        (#"[0.5, "o", 7]"#, .malformed),
        (#"[0.5, "o", null]"#, .malformed),
        (#"[0.5, "r", "80X24"]"#, .invalidField),
        (#"[0.5, "r", "80x"]"#, .invalidField),
        (#"[0.5, "r", "0x24"]"#, .invalidField),
        (#"[0.5, "r", "1001x24"]"#, .invalidField),
        (#"[0.5, "r", "+80x24"]"#, .invalidField),
        (#"[0.5, "r", " 80x24"]"#, .invalidField),
        (#"[0.5, "r", "80x24x1"]"#, .invalidField),
        (#"[0.5, "r", "00080x24"]"#, .invalidField),
        (#"[0.5, "o", "a\ud800"]"#, .malformed),
        (#"[0.5, "o", "a\udc00b"]"#, .malformed),
        (#"[0.5, "o", "\x41"]"#, .malformed),
        (#"[0.5, "o", "\u12"]"#, .malformed),
        ("[0.5, \"o\", \"tab\there\"]", .malformed),
        (#"[0.5, "o", "unterminated]"#, .malformed),
        (#"[0.5, "o", "a"],"#, .malformed),
        (#"[0.5 "o" "a"]"#, .malformed),
    ]

    @Test("an event that is not [time, code, data] within bounds is refused with its reason", arguments: 0..<refusedEvents.count)
    func refusesEvents(_ index: Int) {
        let (line, code) = Self.refusedEvents[index]
        let error = #expect(throws: AsciicastFormatError.self, "\(line)") { try AsciicastEvent(jsonLine: Array(line.utf8)) }
        #expect(error?.code == code, "\(line): \(String(describing: error))")
    }

    @Test("raw bytes that are not UTF-8 inside a string are refused")
    func refusesInvalidUTF8() {
        let line = Array(#"[0.5, "o", ""#.utf8) + [0xC3, 0x28] + Array(#""]"#.utf8)
        let error = #expect(throws: AsciicastFormatError.self) { try AsciicastEvent(jsonLine: line) }
        #expect(error?.code == .malformed)
    }
}
