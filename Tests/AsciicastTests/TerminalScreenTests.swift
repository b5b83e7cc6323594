@testable import Asciicast
import Testing

@Suite("The text export's terminal: what the user saw, escape sequences applied")
struct TerminalScreenTests {
    static func screen(_ output: String, columns: Int = 20, rows: Int = 5, at microseconds: Int64 = 0) throws -> TerminalScreen {
        var screen = TerminalScreen(size: try AsciicastSize(columns: columns, rows: rows))
        screen.feed(output, at: time(microseconds))
        #expect(screen.invariantViolation() == nil)
        return screen
    }

    /// The screen's rows down to the last that is not blank.
    static func shown(_ screen: TerminalScreen) -> [String] {
        Array(screen.screenLines.reversed().drop { $0.isEmpty }.reversed())
    }

    @Test("a shell prompt, a command and its coloured output")
    func promptAndLs() throws {
        let screen = try Self.screen(
            "\u{1b}]0;bob@db-1: ~\u{07}\u{1b}[01;32mbob@db-1\u{1b}[00m:\u{1b}[01;34m~\u{1b}[00m$ ls\r\n"
                + "\u{1b}[0m\u{1b}[01;34mbackups\u{1b}[0m  notes.txt  \u{1b}[01;32mrun.sh\u{1b}[0m\r\n"
                + "\u{1b}[01;32mbob@db-1\u{1b}[00m:\u{1b}[01;34m~\u{1b}[00m$ ",
            columns: 40
        )
        #expect(Self.shown(screen) == ["bob@db-1:~$ ls", "backups  notes.txt  run.sh", "bob@db-1:~$"])
        #expect(screen.cursor == .init(row: 2, column: 12))
    }

    @Test("clear wipes the screen but not the transcript: what it wiped is collected first")
    func clear() throws {
        var screen = try Self.screen("$ ls\r\na  b\r\n$ clear\r\n", at: 1_000_000)
        screen.feed("\u{1b}[H\u{1b}[2J\u{1b}[3J$ ", at: time(2_000_000))
        #expect(Self.shown(screen) == ["$"])
        #expect(screen.cursor == .init(row: 0, column: 2))
        let lines = screen.finish()
        #expect(lines.map(\.text) == ["$ ls", "a  b", "$ clear", "$"])
        #expect(lines.map(\.time) == [time(1_000_000), time(1_000_000), time(1_000_000), time(2_000_000)])
    }

    @Test("a top-like program redrawing the alternate screen: its last frame is collected when it leaves, the shell's screen comes back")
    func alternateScreen() throws {
        var screen = try Self.screen("$ top\r\n", columns: 40, at: 1)
        screen.feed("\u{1b}[?1049h\u{1b}[22;0;0t\u{1b}[H\u{1b}[2Jtop - 10:00:01 up 1 day\u{1b}[K\r\nTasks: 101 total\u{1b}[K\r\n\r\n  PID USER", at: time(2))
        #expect(screen.isAlternateScreenActive)
        screen.feed("\u{1b}[H\u{1b}(B\u{1b}[mtop - 10:00:04\u{1b}[K\u{1b}[2;8H99\u{1b}[K\u{1b}[4;3H42 root\u{1b}[K", at: time(3))
        #expect(Self.shown(screen) == ["top - 10:00:04", "Tasks: 99", "", "  42 root"])
        screen.feed("\u{1b}[24;1H\u{1b}[?1049l\u{1b}[23;0;0t\r$ ", at: time(4))
        #expect(!screen.isAlternateScreenActive)
        #expect(Self.shown(screen) == ["$ top", "$"])
        #expect(screen.cursor == .init(row: 1, column: 2))
        let lines = screen.finish()
        #expect(lines.map(\.text) == ["top - 10:00:04", "Tasks: 99", "  42 root", "$ top", "$"])
        #expect(lines.map(\.time) == [time(3), time(3), time(3), time(1), time(4)])
    }

    @Test("a session that ends inside the alternate screen shows it, then the main screen")
    func endsInAlternate() throws {
        var screen = try Self.screen("$ vim\r\n\u{1b}[?1049hfile text")
        #expect(screen.finish().map(\.text) == ["file text", "$ vim"])
    }

    @Test("a progress bar redrawn with CR leaves its last state")
    func progressBar() throws {
        let screen = try Self.screen("Downloading  10% [#   ]\rDownloading  50% [##  ]\rDownloading 100% [####]\r\n$ ", columns: 30)
        #expect(Self.shown(screen) == ["Downloading 100% [####]", "$"])
    }

    static let edits: [(String, String, [String])] = [
        ("backspaces move back and the next text overwrites", "hell\u{8}\u{8}llo", ["hello"]),
        ("readline's erase: BS, space, BS", "abc\u{8} \u{8}\u{8} \u{8}d", ["ad"]),
        ("BS stops at the first column", "\u{8}\u{8}x", ["x"]),
        ("tabs stop every 8 columns", "a\tb\tc", ["a       b       c"]),
        ("a tab stops at the last column", "\t\t\tx", ["                   x"]),
        ("combining marks join their character", "e\u{301}a\u{308}!", ["e\u{301}a\u{308}!"]),
        ("wide characters take two cells", "日本x\r\n12345", ["日本x", "12345"]),
        ("overwriting half a wide character blanks its other half", "日本\r\u{1b}[Cx", [" x本"]),
        ("a wide character at the last column wraps", "1234567890123456789日", ["1234567890123456789", "日"]),
        ("EL 0 erases to the end", "abcdef\u{1b}[3D\u{1b}[K", ["abc"]),
        ("EL 1 erases to the cursor", "abcdef\u{1b}[3D\u{1b}[1K", ["    ef"]),
        ("EL 2 erases the line", "abcdef\u{1b}[2Kx", ["      x"]),
        ("ICH inserts blanks", "abcdef\r\u{1b}[2C\u{1b}[3@X", ["abX  cdef"]),
        ("DCH deletes and pulls the rest left", "abcdef\r\u{1b}[1C\u{1b}[2P", ["adef"]),
        ("ECH erases without moving anything", "abcdef\r\u{1b}[1C\u{1b}[2X", ["a  def"]),
        ("insert mode shifts the line", "abcdef\r\u{1b}[4hXY\u{1b}[4l", ["XYabcdef"]),
        ("CUP, CHA and VPA place the cursor", "\u{1b}[3;5Hx\u{1b}[1Gy\u{1b}[1dz", [" z", "", "y   x"]),
        ("CUU, CUD, CUF and CUB move it", "\u{1b}[3Bx\u{1b}[2Ay\u{1b}[5Cz\u{1b}[3Dw", ["", " y   w z", "", "x"]),
        ("HVP with default parameters goes home", "abc\r\n\u{1b}[;fX", ["Xbc"]),
        ("IL inserts lines at the cursor", "1\r\n2\r\n3\u{1b}[2;1H\u{1b}[L", ["1", "", "2", "3"]),
        ("DL deletes lines at the cursor", "1\r\n2\r\n3\u{1b}[1;1H\u{1b}[M", ["2", "3"]),
        ("SGR, modes and reports are ignored", "\u{1b}[1;38;5;196mred\u{1b}[0m\u{1b}[?25l\u{1b}[6n\u{1b}[>c\u{1b}[?2004h!", ["red!"]),
        ("OSC strings end at BEL or ST", "\u{1b}]0;title\u{7}a\u{1b}]8;;http://x\u{1b}\\b\u{1b}]8;;\u{1b}\\", ["ab"]),
        ("DCS, APC, PM and SOS strings are skipped", "\u{1b}Pq#0;2;0;0;0\u{1b}\\a\u{1b}_apc\u{1b}\\b\u{1b}^pm\u{1b}\\c\u{1b}Xsos\u{1b}\\d", ["abcd"]),
        ("CAN abandons a sequence", "\u{1b}[12\u{18}x", ["x"]),
        ("the line-drawing set draws boxes", "\u{1b}(0lqqk\u{1b}(B\r\n\u{1b})0\u{e}x  x\u{f}ok", ["┌──┐", "│  │ok"]),
        ("REP repeats the last character", "-\u{1b}[9b|", ["----------|"]),
        ("DECSC and DECRC save and restore the cursor", "ab\u{1b}7\r\n\r\ncd\u{1b}8ef", ["abef", "", "cd"]),
        ("DECALN fills the screen", "\u{1b}#8", Array(repeating: String(repeating: "E", count: 20), count: 5)),
        ("C1 controls and DEL show nothing", "a\u{7f}\u{85}\u{9b}b", ["ab"]),
    ]

    @Test("the emulator applies the sequences shells and programs send", arguments: 0..<edits.count)
    func appliesSequences(_ index: Int) throws {
        let (name, output, expected) = Self.edits[index]
        #expect(Self.shown(try Self.screen(output)) == expected, "\(name)")
    }

    @Test("lines scrolling off the top are collected with the time they were written (a blank one: when it left), blank lines included")
    func scrolling() throws {
        var screen = TerminalScreen(size: try AsciicastSize(columns: 10, rows: 3))
        screen.feed("one\r\n", at: time(1))
        screen.feed("\r\ntwo\r\n", at: time(2))
        screen.feed("three\r\nfour", at: time(3))
        #expect(screen.takeHistory() == [TranscriptLine(text: "one", time: time(1)), TranscriptLine(text: "", time: time(3))])
        #expect(screen.finish() == [
            TranscriptLine(text: "two", time: time(2)), TranscriptLine(text: "three", time: time(3)), TranscriptLine(text: "four", time: time(3)),
        ])
    }

    @Test("a line the terminal wrapped is one line in the transcript, also when its start scrolled off")
    func wrappedLines() throws {
        let long = "echo " + String(repeating: "word ", count: 6) + "end" // 38 characters on 10 columns
        var screen = TerminalScreen(size: try AsciicastSize(columns: 10, rows: 3))
        screen.feed("$ " + long + "\r\nok\r\n$ ", at: time(5))
        #expect(screen.finish().map(\.text) == ["$ " + long, "ok", "$"])
    }

    @Test("a scroll region scrolls inside itself and keeps the rows around it; only a region at the top feeds the transcript")
    func scrollRegion() throws {
        var screen = try Self.screen("title\r\n1\r\n2\r\n3\r\nstatus\u{1b}[2;4r\u{1b}[4;1H\n4\n5", rows: 5)
        #expect(screen.screenLines == ["title", "3", "4", " 5", "status"])
        #expect(screen.takeHistory().isEmpty)
        screen.feed("\u{1b}[2;4r\u{1b}[2;1H\u{1b}M\u{1b}Mx", at: time(1))
        #expect(screen.screenLines == ["title", "x", "", "3", "status"])
        screen.feed("\u{1b}[1;4r\u{1b}[4;1H\n\u{1b}[2S", at: time(2))
        #expect(screen.takeHistory().map(\.text) == ["title", "x", ""])
        #expect(screen.screenLines == ["3", "", "", "", "status"])
        screen.feed("\u{1b}[r\u{1b}[3T", at: time(3))
        #expect(screen.screenLines == ["", "", "", "3", ""])
    }

    @Test("origin mode places the cursor inside the scroll region")
    func originMode() throws {
        let screen = try Self.screen("\u{1b}[2;4r\u{1b}[?6h\u{1b}[1;1Hx\u{1b}[9;1Hy")
        #expect(screen.screenLines == ["", "x", "", "y", ""])
    }

    @Test("without autowrap the last column is overwritten")
    func noAutowrap() throws {
        let screen = try Self.screen("\u{1b}[?7l" + String(repeating: "a", count: 25) + "Z")
        #expect(Self.shown(screen) == [String(repeating: "a", count: 19) + "Z"])
    }

    @Test("resizes: a shorter screen moves the rows above the cursor into the transcript, a narrower one cuts its rows")
    func resizes() throws {
        var screen = try Self.screen("1\r\n2\r\n3\r\n4\r\n5", columns: 10, rows: 5)
        screen.resize(to: try AsciicastSize(columns: 10, rows: 3), at: time(1))
        #expect(screen.takeHistory().map(\.text) == ["1", "2"])
        #expect(screen.screenLines == ["3", "4", "5"] && screen.cursor == .init(row: 2, column: 1))
        screen.feed("\u{1b}[1;1H", at: time(2))
        screen.resize(to: try AsciicastSize(columns: 10, rows: 1), at: time(3))
        #expect(screen.takeHistory().map(\.text) == ["4", "5"])
        screen.feed("0123456789", at: time(4))
        screen.resize(to: try AsciicastSize(columns: 4, rows: 2), at: time(5))
        #expect(screen.screenLines == ["0123", ""] && screen.cursor == .init(row: 0, column: 3))
        screen.resize(to: try AsciicastSize(columns: 6, rows: 2), at: time(6))
        screen.feed("\u{1b}[1;5H日", at: time(7))
        screen.resize(to: try AsciicastSize(columns: 5, rows: 2), at: time(8))
        #expect(screen.screenLines == ["0123", ""])
        #expect(screen.invariantViolation() == nil)
    }

    @Test("a cursor saved with a wrap pending, restored on a wider screen, is no longer waiting to wrap")
    func savedWrapAfterResize() throws {
        var screen = try Self.screen("0123456789\u{1b}7", columns: 10, rows: 2)
        screen.resize(to: try AsciicastSize(columns: 20, rows: 2), at: time(1))
        screen.feed("\u{1b}8x", at: time(2))
        #expect(screen.invariantViolation() == nil)
        #expect(screen.screenLines == ["012345678x", ""])
    }

    @Test("RIS collects the screens and starts afresh")
    func fullReset() throws {
        var screen = try Self.screen("before\u{1b}[?1049halt\u{1b}c", at: 1)
        #expect(!screen.isAlternateScreenActive && screen.cursor == .init(row: 0, column: 0))
        // The alternate screen keeps the cursor where it was, as xterm does.
        #expect(screen.finish().map(\.text) == ["      alt", "before"])
    }

    @Test("sequences too large to honour are clamped, never trusted")
    func bounds() throws {
        let manyParameters = try Self.screen("\u{1b}[" + String(repeating: "1;", count: 10_000) + "Hx")
        #expect(manyParameters.cursor == .init(row: 0, column: 1))
        let hugeParameter = try Self.screen("\u{1b}[99999999999999999999999999C\u{1b}[99999999999999999999Bx\u{1b}[99999999999999999999999@")
        #expect(hugeParameter.cursor == .init(row: 4, column: 19))
        let hugeRepeat = try Self.screen("x\u{1b}[99999999b")
        // A screenful more than the one written: the last wraps and scrolls.
        #expect(hugeRepeat.screenLines == Array(repeating: String(repeating: "x", count: 20), count: 4) + ["x"])
        let marks = try Self.screen("a" + String(repeating: "\u{301}", count: 10_000) + "b")
        #expect(marks.screenLines[0].utf8.count <= 32 + 1)
        var intermediates = try Self.screen("\u{1b}[1 !\"#$%&H\u{1b}( ( (0x")
        #expect(Self.shown(intermediates) == ["x"])
        intermediates.feed("\u{1b}" + String(repeating: " ", count: 10_000) + "Zy", at: time(1))
        #expect(Self.shown(intermediates) == ["xy"])
    }

    @Test("a 10 MB OSC string is skipped as it streams, and what follows it is shown")
    func longString() throws {
        var screen = TerminalScreen(size: try AsciicastSize(columns: 20, rows: 5))
        screen.feed("\u{1b}]52;c;", at: time(1))
        let chunk = [UInt8](repeating: UInt8(ascii: "A"), count: 1 << 20)
        for _ in 0..<10 { screen.feed(chunk, at: time(2)) }
        screen.feed("\u{7}after".utf8, at: time(3))
        #expect(Self.shown(screen) == ["after"])
        #expect(screen.parser.state == .ground)
    }

    @Test("bytes cut inside a character are completed by the next feed")
    func cutCharacters() throws {
        var screen = TerminalScreen(size: try AsciicastSize(columns: 20, rows: 5))
        screen.feed([0x63, 0x61, 0x66, 0xC3], at: time(1))
        screen.feed([0xA9, 0xE6, 0x97], at: time(2))
        screen.feed([0xA5, 0xFF], at: time(3))
        #expect(Self.shown(screen) == ["café日\u{FFFD}"])
    }

    @Test("no byte sequence makes the emulator trap or leave its invariants (fuzz, fixed seed)")
    func fuzz() throws {
        var generator = SeededGenerator(seed: 0xC0FFEE)
        // Bytes that steer into escape sequences, their parameters and the edges of the screen.
        let interesting: [UInt8] = Array("\u{1b}[;?0123456789HJKLMPX@ABCDEFGHfdrSTbhlsu78DEMc()#0B\r\n\u{8}\t\u{e}\u{f}\u{18}]P\\\u{7}".utf8)
            + [0xC3, 0xA9, 0xE6, 0x97, 0xA5, 0xF0, 0x9F, 0x98, 0x80, 0xCC, 0x81, 0x9B, 0x9C]
        let modes = ["\u{1b}[?1049h", "\u{1b}[?1049l", "\u{1b}[?47h", "\u{1b}[?1047l", "\u{1b}[?6h", "\u{1b}[?7l", "\u{1b}[4h", "\u{1b}[3;5r"]
        var totalLines = 0
        for iteration in 0..<3_000 {
            var screen = TerminalScreen(
                size: try AsciicastSize(columns: Int.random(in: 1...30, using: &generator), rows: Int.random(in: 1...12, using: &generator))
            )
            for step in 0..<8 {
                var bytes: [UInt8] = []
                for _ in 0..<Int.random(in: 0...120, using: &generator) {
                    switch Int.random(in: 0..<10, using: &generator) {
                    case 0..<4: bytes.append(interesting.randomElement(using: &generator) ?? 0)
                    case 4..<6: bytes.append(UInt8.random(in: 0x20...0x7E, using: &generator))
                    case 6: bytes += Array((modes.randomElement(using: &generator) ?? "").utf8)
                    default: bytes.append(UInt8.random(in: 0...255, using: &generator))
                    }
                }
                screen.feed(bytes, at: time(Int64(iteration * 10 + step)))
                if Int.random(in: 0..<6, using: &generator) == 0 {
                    let size = try AsciicastSize(columns: Int.random(in: 1...30, using: &generator), rows: Int.random(in: 1...12, using: &generator))
                    screen.resize(to: size, at: time(Int64(iteration * 10 + step)))
                }
                let violation = screen.invariantViolation()
                #expect(violation == nil, "iteration \(iteration), step \(step): \(violation ?? "")")
                if violation != nil { return }
            }
            let lines = screen.finish()
            totalLines += lines.count
            #expect(lines.allSatisfy { !$0.text.hasSuffix(" ") })
        }
        #expect(totalLines > 0)
    }
}
