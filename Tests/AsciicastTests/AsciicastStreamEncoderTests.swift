import Asciicast
import Foundation
import Testing
import TestSupport

@Suite("The recorder's stream encoder: raw pty bytes to event lines")
struct AsciicastStreamEncoderTests {
    static let limits = AsciicastLimits(maximumLineLength: 1 << 20, maximumTotalSize: 64 << 20, maximumEventCount: 1 << 20)

    /// Encodes `reads` (stream, bytes) at times 1, 2, 3… ms, flushes, and reads the lines back.
    static func encode(_ reads: [(AsciicastStream, [UInt8])], flush: Bool = true) throws -> [AsciicastEvent] {
        var encoder = AsciicastStreamEncoder()
        var bytes = try AsciicastHeader(size: AsciicastSize(columns: 80, rows: 24)).jsonLine()
        for (index, (stream, chunk)) in reads.enumerated() {
            encoder.encode(stream, chunk, at: time(Int64(index + 1) * 1_000), into: &bytes)
        }
        if flush { encoder.flush(at: time(Int64(reads.count + 1) * 1_000), into: &bytes) }
        return try AsciicastFile(parsing: bytes, limits: limits).events
    }

    @Test("valid text is written exactly as an AsciicastEvent of the same text writes it")
    func sameAsEventLines() throws {
        let samples = ["plain", "tab\tquote\"back\\slash", "\u{1b}[1mbold\u{1b}[0m\r\n", "\u{0}\u{1}\u{7f}", "é日😀", "\u{2028}x"]
        for sample in samples {
            for stream in [AsciicastStream.output, .input] {
                var encoder = AsciicastStreamEncoder()
                var bytes: [UInt8] = []
                encoder.encode(stream, Array(sample.utf8), at: time(1_234_567), into: &bytes)
                let event = AsciicastEvent(time: time(1_234_567), stream == .output ? .output(sample) : .input(sample))
                #expect(bytes == event.jsonLine(), "\(sample)")
            }
        }
    }

    static let splits: [(String, [[UInt8]], [String])] = [
        ("é cut after its first byte", [[0x61, 0xC3], [0xA9, 0x62]], ["a", "éb"]),
        ("日 cut after one byte", [[0xE6], [0x97, 0xA5]], ["日"]),
        ("日 cut after two bytes", [[0x78, 0xE6, 0x97], [0xA5]], ["x", "日"]),
        ("😀 cut into four reads", [[0xF0], [0x9F], [0x98], [0x80]], ["😀"]),
        ("😀 cut two and two", [[0xF0, 0x9F], [0x98, 0x80, 0x21]], ["😀!"]),
        ("a cut character broken by the next read", [[0xE6, 0x97], [0x41]], ["\u{FFFD}A"]),
        ("a cut character broken by a byte that starts another", [[0xE6], [0xC3, 0xA9]], ["\u{FFFD}é"]),
        ("a cut character left at the end", [[0x61, 0xF0, 0x9F, 0x98]], ["a", "\u{FFFD}"]),
        ("a lone continuation byte", [[0x80, 0x61]], ["\u{FFFD}a"]),
        ("an overlong form, two replacements", [[0xC0, 0xAF]], ["\u{FFFD}\u{FFFD}"]),
        ("a surrogate, one per byte", [[0xED, 0xA0, 0x80]], ["\u{FFFD}\u{FFFD}\u{FFFD}"]),
        ("past U+10FFFF", [[0xF4, 0x90, 0x80, 0x80]], ["\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"]),
        ("a truncated sequence then ASCII", [[0xE2, 0x82, 0x41]], ["\u{FFFD}A"]),
        ("bytes that are never UTF-8", [[0xFE, 0xFF, 0xF5]], ["\u{FFFD}\u{FFFD}\u{FFFD}"]),
    ]

    @Test("a character cut between reads is held back until it is complete, invalid bytes become U+FFFD", arguments: 0..<splits.count)
    func splitCharacters(_ index: Int) throws {
        let (name, reads, expected) = Self.splits[index]
        let events = try Self.encode(reads.map { (.output, $0) })
        #expect(events.map(\.kind) == expected.map { .output($0) }, "\(name)")
        // However the reads were cut, the text is the lossy decoding of all the bytes.
        #expect(expected.joined() == String(decoding: reads.flatMap { $0 }, as: UTF8.self), "\(name)")
    }

    @Test("each stream holds back its own cut character")
    func perStream() throws {
        var encoder = AsciicastStreamEncoder()
        var bytes: [UInt8] = []
        encoder.encode(.output, [0xE6, 0x97], at: time(1), into: &bytes)
        #expect(bytes.isEmpty && encoder.isHoldingBack(.output) && !encoder.isHoldingBack(.input))
        encoder.encode(.input, [0x6C, 0x73, 0xC3], at: time(2), into: &bytes)
        encoder.encode(.input, [0xA9, 0x0D], at: time(3), into: &bytes)
        encoder.encode(.output, [0xA5], at: time(4), into: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == """
            [0.000002, "i", "ls"]
            [0.000003, "i", "é\\r"]
            [0.000004, "o", "日"]

            """)
    }

    @Test("flush writes what is held back as U+FFFD, and nothing when nothing is")
    func flush() throws {
        var encoder = AsciicastStreamEncoder()
        var bytes: [UInt8] = []
        encoder.flush(at: time(1), into: &bytes)
        #expect(bytes.isEmpty)
        encoder.encode(.output, [0xF0, 0x9F], at: time(2), into: &bytes)
        encoder.encode(.input, [0xC3], at: time(3), into: &bytes)
        encoder.flush(at: time(4), into: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == "[0.000004, \"o\", \"\u{FFFD}\"]\n[0.000004, \"i\", \"\u{FFFD}\"]\n")
        #expect(!encoder.isHoldingBack(.output) && !encoder.isHoldingBack(.input))
    }

    @Test("an empty read writes nothing, and a time earlier than the last is written as the last")
    func emptyReadsAndClockSteps() throws {
        var encoder = AsciicastStreamEncoder()
        var bytes: [UInt8] = []
        encoder.encode(.output, [], at: time(5), into: &bytes)
        #expect(bytes.isEmpty)
        encoder.encode(.output, Array("a".utf8), at: time(2_000_000), into: &bytes)
        encoder.encode(.output, Array("b".utf8), at: time(1_000_000), into: &bytes)
        encoder.resize(try AsciicastSize(columns: 100, rows: 50), at: time(500), into: &bytes)
        encoder.marker("x", at: time(3_000_000), into: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == """
            [2.000000, "o", "a"]
            [2.000000, "o", "b"]
            [2.000000, "r", "100x50"]
            [3.000000, "m", "x"]

            """)
    }

    @Test("random bytes cut at random give the lossy decoding of the whole, and a file the reader takes")
    func randomCuts() throws {
        var generator = SeededGenerator(seed: 2026)
        for _ in 0..<500 {
            let length = Int.random(in: 0...300, using: &generator)
            // Mostly UTF-8 lead and continuation bytes, so that cuts fall inside characters.
            let bytes = (0..<length).map { _ -> UInt8 in
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: UInt8.random(in: 0x00...0x7F, using: &generator)
                case 1: UInt8.random(in: 0x80...0xBF, using: &generator)
                case 2: UInt8.random(in: 0xC0...0xF7, using: &generator)
                default: [0xC3, 0xA9, 0xE6, 0x97, 0xA5, 0xF0, 0x9F, 0x98, 0x80].randomElement(using: &generator) ?? 0
                }
            }
            var reads: [[UInt8]] = []
            var rest = bytes[...]
            while !rest.isEmpty {
                let cut = Int.random(in: 1...min(rest.count, 7), using: &generator)
                reads.append(Array(rest.prefix(cut)))
                rest = rest.dropFirst(cut)
            }
            let events = try Self.encode(reads.map { (.output, $0) })
            let text = events.map { event -> String in
                guard case .output(let text) = event.kind else { return "?" }
                return text
            }.joined()
            #expect(text == String(decoding: bytes, as: UTF8.self), "\(bytes)")
        }
    }

    @Test("the lossy decoding is Python's bytes.decode('utf-8', 'replace'), asciinema's own decoder")
    func matchesPython() async throws {
        var generator = SeededGenerator(seed: 7)
        var bytes: [UInt8] = []
        for _ in 0..<4_000 { bytes.append(UInt8.random(in: 0...255, using: &generator)) }
        bytes += [0xE6, 0x97, 0x41, 0xF0, 0x9F, 0x98, 0xED, 0xA0, 0x80, 0xC0, 0xAF, 0xF4, 0x90]
        let events = try Self.encode(stride(from: 0, to: bytes.count, by: 3).map { (.output, Array(bytes[$0..<min($0 + 3, bytes.count)])) })
        let ours = events.map { event -> String in
            guard case .output(let text) = event.kind else { return "" }
            return text
        }.joined()
        let directory = FileManager.default.temporaryDirectory.path
        let input = directory + "/asciicast-python-\(UInt64.random(in: .min ... .max)).bin"
        try Data(bytes).write(to: URL(fileURLWithPath: input))
        defer { try? FileManager.default.removeItem(atPath: input) }
        let script = "import sys; sys.stdout.buffer.write(open(sys.argv[1], 'rb').read().decode('utf-8', 'replace').encode('utf-8'))"
        // The Python asciinema runs on, before any other on PATH.
        let python = try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : Peer.find("python3"), "python3 (installed with asciinema) is not on PATH")
        let result = try await blocking {
            try ChildProcess.run([python, "-c", script, input], input: nil, environment: nil, timeout: 30, in: directory)
        }
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output == ours)
    }
}
