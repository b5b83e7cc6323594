import Asciicast
import Testing

@Suite("Reading whole recordings, within bounds, with the line of every error")
struct AsciicastReaderTests {
    static let limits = AsciicastLimits(maximumLineLength: 200, maximumTotalSize: 2_000, maximumEventCount: 5)
    static let header = #"{"version": 2, "width": 80, "height": 24}"#

    @Test("the spec's example file is read event by event")
    func specExample() throws {
        let file = """
            {"version": 2, "width": 80, "height": 24, "timestamp": 1504467315, "title": "Demo", "env": {"TERM": "xterm-256color", "SHELL": "/bin/zsh"}}
            [0.248848, "o", "\\u001b[1;31mHello \\u001b[32mWorld!\\u001b[0m\\n"]
            [1.001376, "o", "That was ok\\rThis is better."]
            [1.500000, "m", ""]
            [2.143733, "o", "Now... "]
            [4.050000, "r", "80x24"]

            """
        let recording = try AsciicastFile(parsing: Array(file.utf8), limits: Self.limits)
        #expect(recording.header.title == "Demo" && recording.header.term == "xterm-256color")
        #expect(recording.events == [
            AsciicastEvent(time: time(248_848), .output("\u{1b}[1;31mHello \u{1b}[32mWorld!\u{1b}[0m\n")),
            AsciicastEvent(time: time(1_001_376), .output("That was ok\rThis is better.")),
            AsciicastEvent(time: time(1_500_000), .marker("")),
            AsciicastEvent(time: time(2_143_733), .output("Now... ")),
            AsciicastEvent(time: time(4_050_000), .resize(try AsciicastSize(columns: 80, rows: 24))),
        ])
        // Written back, it reads as the same recording.
        #expect(try AsciicastFile(parsing: recording.jsonLines(), limits: Self.limits) == recording)
    }

    static let refused: [(String, String, AsciicastFormatError.Code, Int)] = [
        ("an empty file", "", .malformed, 1),
        ("a blank first line", "\n", .malformed, 1),
        ("a header that is not JSON", "version 2\n", .malformed, 1),
        ("a version 1 file", #"{"version": 1, "width": 80, "height": 24, "stdout": []}"# + "\n", .unsupportedVersion, 1),
        ("an empty line among events", header + "\n[0.1, \"o\", \"a\"]\n\n[0.2, \"o\", \"b\"]\n", .malformed, 3),
        ("an event that is not JSON", header + "\n[0.1, \"o\", \"a\"]\n[0.2, \"o\", \"b\n", .malformed, 3),
        ("an event going back in time", header + "\n[0.1, \"o\", \"a\"]\n[0.3, \"o\", \"b\"]\n[0.2, \"o\", \"c\"]\n", .timeWentBack, 4),
        ("an unknown event code", header + "\n[0.1, \"x\", \"0\"]\n", .unknownEventCode, 2),
        ("a bad resize", header + "\n[0.1, \"r\", \"80x0\"]\n", .invalidField, 2),
        ("a negative time", header + "\n[-0.1, \"o\", \"a\"]\n", .invalidTime, 2),
        ("a line too long", header + "\n[0.1, \"o\", \"\(String(repeating: "a", count: 200))\"]\n", .tooLong, 2),
        ("a header too long", "{\"version\": 2, \"width\": 80, \"height\": 24, \"title\": \"\(String(repeating: "t", count: 200))\"}\n", .tooLong, 1),
        ("too many events", header + "\n" + String(repeating: "[0.1, \"o\", \"a\"]\n", count: 6), .tooLarge, 7),
        ("too many bytes", header + "\n" + String(repeating: "[0.1, \"o\", \"\(String(repeating: "a", count: 150))\"]\n", count: 12), .tooLarge, 1),
        ("a raw control character in a string", header + "\n[0.1, \"o\", \"a\u{1b}b\"]\n", .malformed, 2),
        ("a lone surrogate", header + "\n[0.1, \"o\", \"\\udead\"]\n", .malformed, 2),
        ("a last line cut short", header + "\n[0.1, \"o\", \"a\"", .malformed, 2),
    ]

    @Test("every way a recording can be wrong is refused with its code and line", arguments: 0..<refused.count)
    func refuses(_ index: Int) {
        let (name, file, code, line) = Self.refused[index]
        let error = #expect(throws: AsciicastFormatError.self, "\(name)") { try AsciicastFile(parsing: Array(file.utf8), limits: Self.limits) }
        #expect(error?.code == code, "\(name): \(String(describing: error))")
        #expect(error?.line == line, "\(name): \(String(describing: error))")
    }

    @Test("a file that is not UTF-8 is refused at its line")
    func refusesBytes() {
        let file = Array((Self.header + "\n[0.1, \"o\", \"").utf8) + [0xFF] + Array("\"]\n".utf8)
        let error = #expect(throws: AsciicastFormatError.self) { try AsciicastFile(parsing: file, limits: Self.limits) }
        #expect(error?.code == .malformed && error?.line == 2)
    }

    @Test("a last line without its newline is read, and CRLF line ends are taken")
    func lineEnds() throws {
        let file = Self.header + "\r\n[0.1, \"o\", \"a\"]\r\n[0.2, \"i\", \"b\"]"
        let recording = try AsciicastFile(parsing: Array(file.utf8), limits: Self.limits)
        #expect(recording.events.map(\.kind) == [.output("a"), .input("b")])
    }

    @Test("bytes arriving in pieces cut anywhere read as the whole file does")
    func pieces() throws {
        let file = Array((Self.header + "\n[0.1, \"o\", \"é日\"]\n[0.2, \"r\", \"90x30\"]\n[0.2, \"m\", \"x\"]\n").utf8)
        let whole = try AsciicastFile(parsing: file, limits: Self.limits)
        for cut in 0...file.count {
            for second in cut...file.count {
                var reader = AsciicastReader(limits: Self.limits)
                var events = try reader.read(file[..<cut])
                events += try reader.read(file[cut..<second])
                events += try reader.read(file[second...])
                events += try reader.finish()
                #expect(events == whole.events && reader.header == whole.header, "cut at \(cut), \(second)")
            }
        }
    }

    @Test("a long line is refused before its newline arrives, and the reader stays refused")
    func boundedAndSticky() throws {
        var reader = AsciicastReader(limits: Self.limits)
        _ = try reader.read(Array((Self.header + "\n[0.1, \"o\", \"").utf8))
        let error = #expect(throws: AsciicastFormatError.self) { try reader.read(Array(repeating: UInt8(ascii: "a"), count: 300)) }
        #expect(error?.code == .tooLong && error?.line == 2)
        let again = #expect(throws: AsciicastFormatError.self) { try reader.read(Array("\"]\n".utf8)) }
        #expect(again == error)
        #expect(throws: AsciicastFormatError.self) { try reader.finish() }
    }

    @Test("events made in code must not go back in time either")
    func fileOfEvents() throws {
        let header = try AsciicastHeader(size: AsciicastSize(columns: 80, rows: 24))
        let error = #expect(throws: AsciicastFormatError.self) {
            try AsciicastFile(header: header, events: [AsciicastEvent(time: time(2), .output("a")), AsciicastEvent(time: time(1), .output("b"))])
        }
        #expect(error?.code == .timeWentBack && error?.line == 3)
    }

    @Test("a recording with random bytes changed, cut or added is read or refused with a typed error, never a trap (fixed seed)")
    func fuzz() throws {
        let limits = AsciicastLimits(maximumLineLength: 4_096, maximumTotalSize: 1 << 20, maximumEventCount: 1_000)
        var encoder = AsciicastStreamEncoder()
        var valid = try AsciicastHeader(
            size: AsciicastSize(columns: 80, rows: 24), timestamp: 1_796_240_392, idleTimeLimit: time(2_000_000), title: "t", shell: "/bin/sh", term: "xterm"
        ).jsonLine()
        encoder.encode(.output, Array("$ ls\r\n\u{1b}[1mé日😀\\\"\t".utf8), at: time(1_000), into: &valid)
        encoder.encode(.input, Array("ls\r".utf8), at: time(2_000), into: &valid)
        encoder.resize(try AsciicastSize(columns: 100, rows: 30), at: time(3_000), into: &valid)
        encoder.marker("m", at: time(4_000), into: &valid)
        let alphabet = Array(#"[]{}",:.0123456789eE+-\u"#.utf8) + [0x0A, 0x00, 0x1B, 0xC3, 0xA9, 0xFF, 0xED, 0xA0]
        var generator = SeededGenerator(seed: 99)
        var accepted = 0
        for _ in 0..<3_000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: bytes[position] = alphabet.randomElement(using: &generator) ?? 0
                case 1: bytes.remove(at: position)
                case 2: bytes.insert(alphabet.randomElement(using: &generator) ?? 0, at: position)
                default: bytes.removeSubrange(position...)
                }
                if bytes.isEmpty { break }
            }
            do {
                let recording = try AsciicastFile(parsing: bytes, limits: limits)
                accepted += 1
                // What is accepted writes back to a file that reads as the same recording.
                #expect(try AsciicastFile(parsing: recording.jsonLines(), limits: limits) == recording)
            } catch {
                #expect(error.line.map { $0 >= 1 } ?? false, "\(error)")
            }
        }
        #expect(accepted > 0 && accepted < 3_000)
    }
}
