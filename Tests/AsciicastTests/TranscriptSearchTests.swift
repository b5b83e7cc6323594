import Asciicast
import Testing

@Suite("Text export and search of a recording")
struct TranscriptSearchTests {
    /// A small session: bob lists a directory, mistypes a command and fixes it, views a log.
    static func session() throws -> AsciicastFile {
        let header = try AsciicastHeader(size: AsciicastSize(columns: 40, rows: 4))
        let events: [AsciicastEvent] = [
            AsciicastEvent(time: time(100_000), .output("$ ")),
            AsciicastEvent(time: time(1_000_000), .input("ls")),
            AsciicastEvent(time: time(1_000_100), .output("ls")),
            AsciicastEvent(time: time(1_200_000), .input("\r")),
            AsciicastEvent(time: time(1_200_100), .output("\r\nbackups  Notes.txt\r\n$ ")),
            AsciicastEvent(time: time(2_000_000), .input("sudo systemclt\u{7f}\u{7f}tl")),
            AsciicastEvent(time: time(2_000_100), .output("sudo systemclt\u{8}\u{8}  \u{8}\u{8}tl")),
            AsciicastEvent(time: time(2_500_000), .input(" restart postgres\u{1b}[D\u{1b}[C\r")),
            AsciicastEvent(time: time(2_500_100), .output(" restart postgres\r\n")),
            AsciicastEvent(time: time(3_000_000), .resize(try AsciicastSize(columns: 50, rows: 4))),
            AsciicastEvent(time: time(3_100_000), .output("\u{1b}[1;31mFAILED\u{1b}[0m: unit postgres not found\r\n$ ")),
            AsciicastEvent(time: time(4_000_000), .input("rm -rf /tmp/x\u{15}exit\r")),
            AsciicastEvent(time: time(4_000_100), .output("exit\r\n")),
        ]
        return try AsciicastFile(header: header, events: events)
    }

    @Test("the export is what the terminal showed, each line with the time it was written")
    func export() throws {
        let transcript = Transcript(recording: try Self.session())
        #expect(transcript.text == """
            $ ls
            backups  Notes.txt
            $ sudo systemctl restart postgres
            FAILED: unit postgres not found
            $ exit

            """)
        #expect(transcript.lines.map(\.time) == [time(1_000_100), time(1_200_100), time(2_500_100), time(3_100_000), time(4_000_100)])
        #expect(transcript.omittedLines == 0)
    }

    @Test("typed lines apply backspace and Ctrl-U, drop arrow keys, and carry the time Enter was pressed")
    func typed() throws {
        let typed = TypedLines(recording: try Self.session())
        #expect(typed.lines == [
            TranscriptLine(text: "ls", time: time(1_200_000)),
            TranscriptLine(text: "sudo systemctl restart postgres", time: time(2_500_000)),
            TranscriptLine(text: "exit", time: time(4_000_000)),
        ])
        #expect(TypedLines(input: "one two three\u{17}\u{17}four\u{3}x\u{4}", at: time(1)).lines.map(\.text) == ["one four", "x"])
        #expect(TypedLines(input: "\u{1b}OAa\u{1b}[200~pasted\u{1b}[201~\tb\u{1b}x\r", at: time(1)).lines.map(\.text) == ["apasted b"])
    }

    @Test("search is case-insensitive over typed lines and output, and says which and when")
    func search() throws {
        let search = TranscriptSearch(recording: try Self.session())
        #expect(try search.matches("POSTGRES") == [
            .init(kind: .typed, time: time(2_500_000), text: "sudo systemctl restart postgres"),
            .init(kind: .output, time: time(2_500_100), text: "$ sudo systemctl restart postgres"),
            .init(kind: .output, time: time(3_100_000), text: "FAILED: unit postgres not found"),
        ])
        #expect(try search.matches("notes.TXT") == [.init(kind: .output, time: time(1_200_100), text: "backups  Notes.txt")])
        // The typo was fixed before Enter: as typed, it is gone; the mistyped rm was never run.
        #expect(try search.matches("systemclt").isEmpty)
        #expect(try search.matches("rm -rf").isEmpty)
        #expect(try search.matches("postgres", limit: 2).count == 2)
    }

    @Test("an empty or overlong query is refused with a typed error")
    func queryBounds() throws {
        let search = TranscriptSearch(recording: try Self.session())
        for query in ["", String(repeating: "q", count: TranscriptSearch.maximumQueryLength + 1)] {
            let error = #expect(throws: AsciicastFormatError.self) { try search.matches(query) }
            #expect(error?.code == .invalidQuery)
        }
        #expect(try search.matches(String(repeating: "q", count: TranscriptSearch.maximumQueryLength)).isEmpty)
    }

    @Test("a transcript past its byte budget keeps its first lines and counts the rest")
    func budget() throws {
        let header = try AsciicastHeader(size: AsciicastSize(columns: 80, rows: 2))
        let output = (0..<1_000).map { "line \($0)\r\n" }.joined()
        let recording = try AsciicastFile(header: header, events: [AsciicastEvent(time: time(1), .output(output))])
        let transcript = Transcript(recording: recording, budget: 4_000)
        #expect(transcript.lines.first?.text == "line 0")
        #expect(transcript.lines.count < 1_000 && transcript.lines.count > 50)
        #expect(transcript.lines.count + transcript.omittedLines == 1_000)
    }
}
