import Asciicast
import Testing

/// `countersign play`'s timing: pauses scaled by the speed and capped by the idle limit, output
/// only, as asciinema plays.
@Suite("Playback timing")
struct AsciicastPlaybackTests {
    static func recording(idleTimeLimit: AsciicastTime? = nil) throws -> AsciicastFile {
        let events: [AsciicastEvent] = [
            AsciicastEvent(time: try AsciicastTime(microseconds: 500_000), .output("$ ")),
            AsciicastEvent(time: try AsciicastTime(microseconds: 900_000), .input("l")),
            AsciicastEvent(time: try AsciicastTime(microseconds: 1_000_000), .output("ls\r\n")),
            AsciicastEvent(time: try AsciicastTime(microseconds: 1_000_000), .resize(try AsciicastSize(columns: 100, rows: 30))),
            AsciicastEvent(time: try AsciicastTime(microseconds: 61_000_000), .output("after a minute\r\n")),
        ]
        return try AsciicastFile(header: try AsciicastHeader(size: try AsciicastSize(columns: 80, rows: 24), idleTimeLimit: idleTimeLimit), events: events)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let speed: Double
        let idleLimit: Double?
        let headerLimit: Int64?
        let pauses: [Int64]
    }

    static let cases: [Case] = [
        Case(testDescription: "as recorded", speed: 1, idleLimit: nil, headerLimit: nil, pauses: [500_000, 500_000, 60_000_000]),
        Case(testDescription: "twice as fast", speed: 2, idleLimit: nil, headerLimit: nil, pauses: [250_000, 250_000, 30_000_000]),
        Case(testDescription: "a minute's silence cut to two seconds", speed: 1, idleLimit: 2, headerLimit: nil, pauses: [500_000, 500_000, 2_000_000]),
        Case(testDescription: "the recording's own idle limit when none is asked", speed: 1, idleLimit: nil, headerLimit: 3_000_000, pauses: [500_000, 500_000, 3_000_000]),
        Case(testDescription: "an asked limit over the recording's", speed: 4, idleLimit: 10, headerLimit: 3_000_000, pauses: [125_000, 125_000, 2_500_000]),
    ]

    @Test("pauses", arguments: cases)
    func pauses(_ row: Case) throws {
        let playback = try AsciicastPlayback(
            recording: try Self.recording(idleTimeLimit: try row.headerLimit.map(AsciicastTime.init(microseconds:))), speed: row.speed, idleLimit: row.idleLimit
        )
        #expect(playback.steps.map(\.pause) == row.pauses)
        #expect(playback.steps.map(\.text) == ["$ ", "ls\r\n", "after a minute\r\n"], "output only")
    }

    @Test("speeds and limits out of range are refused", arguments: [(0.0, nil), (101.0, nil), (1.0, 0.0), (1.0, 4000.0), (-1.0, nil)] as [(Double, Double?)])
    func ranges(_ speed: Double, _ idleLimit: Double?) throws {
        let recording = try Self.recording()
        #expect(throws: AsciicastFormatError.self) { try AsciicastPlayback(recording: recording, speed: speed, idleLimit: idleLimit) }
    }
}
