import Asciicast
import Foundation
import Testing

@Suite("asciinema 2.2 and this module read each other's recordings")
struct AsciinemaPeerTests {
    static let limits = AsciicastLimits(maximumLineLength: 1 << 20, maximumTotalSize: 16 << 20, maximumEventCount: 100_000)

    @Test("asciinema cat prints exactly the output bytes the encoder was given, cut characters and controls included")
    func asciinemaCatReadsOurs() async throws {
        let asciinema = try Peer.asciinema()
        let script = try Peer.utilLinux("script")
        // Output reads as a pty gives them, with characters cut between reads, interleaved with
        // typed input, a resize and a marker (none of which `cat` prints).
        let reads: [(AsciicastStream, [UInt8])] = [
            (.output, Array("bob@db-1:~$ ".utf8)),
            (.input, Array("ls\r".utf8)),
            (.output, Array("ls\r\n\u{1b}[0m\u{1b}[01;34mdir\u{1b}[0m  \"quoted\" back\\slash\ttab\r\n".utf8)),
            (.output, [0x63, 0x61, 0x66, 0xC3]),
            (.output, [0xA9, 0x20, 0xE6]),
            (.output, [0x97, 0xA5, 0xE6, 0x9C]),
            (.output, [0xAC, 0x20, 0xF0, 0x9F]),
            (.output, [0x98, 0x80, 0x0D, 0x0A]),
            (.output, [0x01, 0x07, 0x08, 0x0B, 0x0C, 0x1F, 0x7F, 0x00, 0x1B, 0x5D, 0x30, 0x3B, 0x74, 0x07]),
            (.output, Array("\u{1b}[?1049h\u{1b}[H\u{1b}[2Jtop - 10:00:00\u{1b}[?1049l\u{2028}end\r\n".utf8)),
        ]
        var encoder = AsciicastStreamEncoder()
        var file = try AsciicastHeader(size: AsciicastSize(columns: 80, rows: 24), timestamp: 1_796_240_392, shell: "/bin/bash", term: "xterm").jsonLine()
        for (index, (stream, bytes)) in reads.enumerated() {
            encoder.encode(stream, bytes, at: time(Int64(index) * 123_457), into: &file)
            if index == 3 { encoder.resize(try AsciicastSize(columns: 100, rows: 30), at: time(400_000), into: &file) }
            if index == 5 { encoder.marker("half way", at: time(700_000), into: &file) }
        }
        encoder.flush(at: time(2_000_000), into: &file)
        let expected = reads.filter { $0.0 == .output }.flatMap(\.1)
        try await Peer.withScratch { directory in
            let cast = directory + "/session.cast"
            let printed = directory + "/printed.out"
            try Data(file).write(to: URL(fileURLWithPath: cast))
            let result = try await Peer.run([script, "-q", "-e", "-c", "'\(asciinema)' cat '\(cast)' > '\(printed)'", "/dev/null"], in: directory)
            #expect(result.status == 0, "\(result.output) \(result.error)")
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: printed)))
            #expect(bytes == expected, "asciinema cat printed \(bytes.count) bytes, \(expected.count) expected")
        }
    }

    @Test("the reader takes what asciinema rec writes, its Python float times included")
    func ourReaderTakesAsciinemaRec() async throws {
        let asciinema = try Peer.asciinema()
        let setsid = try Peer.utilLinux("setsid")
        try await Peer.withScratch { directory in
            let cast = directory + "/rec.cast"
            // The shell's printf sends the bytes; the pty turns each \n into \r\n.
            let command = #"printf 'hello \033[1mworld\033[0m\n'; sleep 0.2; printf 'w\303\266rld \346\227\245\n\tend'"#
            let result = try await Peer.run(
                [setsid, "-w", asciinema, "rec", "-q", "--overwrite", "-i", "2.5", "-t", "peer", "-c", command, cast], in: directory
            )
            #expect(result.status == 0, "\(result.output) \(result.error)")
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: cast)))
            let recording = try AsciicastFile(parsing: bytes, limits: Self.limits)
            #expect(recording.header.width == 80 && recording.header.height == 24)
            #expect(recording.header.idleTimeLimit == time(2_500_000))
            #expect(recording.header.title == "peer")
            #expect(recording.header.timestamp != nil)
            let output = recording.events.compactMap { event -> String? in
                guard case .output(let text) = event.kind else { return nil }
                return text
            }.joined()
            #expect(output == "hello \u{1b}[1mworld\u{1b}[0m\r\nwörld 日\r\n\tend")
            #expect(recording.events.count >= 2)
            #expect(recording.events.last.map { $0.time >= time(200_000) } == true)
            // And the text export of the real recording is what the terminal showed.
            #expect(Transcript(recording: recording).lines.map(\.text) == ["hello world", "wörld 日", "        end"])
        }
    }
}
