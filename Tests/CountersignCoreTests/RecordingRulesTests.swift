import Foundation
import Testing
@testable import CountersignCore

/// Session recordings: whether an upload extends a recording, and the state every listing shows,
/// under an injected time (offsets in seconds from the certificate's issue).
@Suite("Recording rules")
struct RecordingRulesTests {
    static let issued = Date(timeIntervalSince1970: 1_800_000_000)
    static func at(_ offset: TimeInterval) -> Date { issued.addingTimeInterval(offset) }

    /// A certificate valid for an hour from `issued`.
    static func fresh() -> Recording {
        Recording(
            id: RecordingID.random(), requestID: RequestID.random(), serial: CredentialSerial(rawValue: 7)!, user: Cast.alice.name,
            host: "web-3.prod.internal", login: "deploy", recordsInput: false, createdAt: issued, certificateExpiresAt: at(3600)
        )
    }

    static func digest(_ tag: UInt8) -> [UInt8] { [UInt8](repeating: tag, count: 32) }

    static func chunk(
        _ sequence: Int, tag: UInt8 = 1, bytes: Int = 100, header: Bool? = nil, times: (Int64, Int64)? = (0, 10),
        exit: Int? = nil, lost: Int = 0
    ) throws -> RecordingChunk {
        try RecordingChunk(
            sequence: sequence, byteCount: bytes, digest: digest(tag), startsWithHeader: header ?? (sequence == 0),
            firstEventTime: times?.0, lastEventTime: times?.1, final: try exit.map(RecordingChunk.Final.init(exitStatus:)), lostBytes: lost
        )
    }

    static let session = RecordingSessionID.random()

    /// What a start call of `report` does to `recording`, with no later session opened yet.
    static func start(_ recording: Recording, _ report: RecordingStart) throws -> RecordingRules.SessionStart {
        try RecordingRules.startSession(report, on: recording, existing: nil, sessionsOpened: 0, newID: .random(), uploadTokenHash: digest(9))
    }

    static func started(at offset: TimeInterval = 5) throws -> Recording {
        try start(fresh(), try RecordingStart(reportedHost: "web-3", command: nil, hasTerminal: true, receivedAt: at(offset), session: session)).recording
    }

    /// Feeds chunks at the given offsets; the outcome of the last.
    static func upload(_ chunks: [(RecordingChunk, TimeInterval)], to recording: Recording) throws -> Recording {
        var current = recording
        var digests: [Int: [UInt8]] = [:]
        for (chunk, offset) in chunks {
            if case .extended(let next, _) = try RecordingRules.accept(chunk, into: current, storedDigest: digests[chunk.sequence], at: at(offset)) {
                current = next
                digests[chunk.sequence] = chunk.digest
            }
        }
        return current
    }

    struct UploadCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let before: [(RecordingChunk, TimeInterval)]
        let chunk: RecordingChunk
        /// "extended", "already_stored" or a refusal code.
        let expected: String
    }

    static let uploads: [UploadCase] = [
        UploadCase(testDescription: "the first chunk, with the header", before: [], chunk: try! chunk(0), expected: "extended"),
        UploadCase(testDescription: "the next chunk in order", before: [(try! chunk(0), 6)], chunk: try! chunk(1, times: (10, 20)), expected: "extended"),
        UploadCase(testDescription: "a retry of a stored chunk changes nothing", before: [(try! chunk(0), 6)], chunk: try! chunk(0), expected: "already_stored"),
        UploadCase(testDescription: "other bytes under a stored number conflict", before: [(try! chunk(0), 6)], chunk: try! chunk(0, tag: 2), expected: "chunk_conflict"),
        UploadCase(testDescription: "a chunk that skips ahead", before: [(try! chunk(0), 6)], chunk: try! chunk(2, times: (10, 20)), expected: "chunk_out_of_order"),
        UploadCase(testDescription: "the first chunk without its header", before: [], chunk: try! chunk(0, header: false), expected: "chunk_invalid"),
        UploadCase(testDescription: "a second header", before: [(try! chunk(0), 6)], chunk: try! chunk(1, header: true), expected: "chunk_invalid"),
        UploadCase(testDescription: "events going back in time across chunks", before: [(try! chunk(0, times: (0, 50)), 6)], chunk: try! chunk(1, times: (40, 60)), expected: "chunk_invalid"),
        UploadCase(testDescription: "an empty heartbeat", before: [(try! chunk(0), 6)], chunk: try! chunk(1, bytes: 0, times: nil), expected: "extended"),
        UploadCase(testDescription: "anything after the final chunk", before: [(try! chunk(0, exit: 0), 6)], chunk: try! chunk(1, times: (10, 20)), expected: "recording_closed"),
        UploadCase(testDescription: "a retry of the final chunk", before: [(try! chunk(0, exit: 0), 6)], chunk: try! chunk(0, exit: 0), expected: "already_stored"),
        UploadCase(
            testDescription: "a chunk of exactly the byte bound",
            before: [], chunk: try! RecordingChunk(sequence: 0, byteCount: RecordingChunk.maximumByteCount, digest: digest(1), startsWithHeader: true, firstEventTime: 0, lastEventTime: 1, final: nil, lostBytes: 0),
            expected: "extended"
        ),
    ]

    @Test("uploads", arguments: uploads)
    func upload(_ row: UploadCase) throws {
        let before = try Self.upload(row.before, to: try Self.started())
        let stored = row.before.last { $0.0.sequence == row.chunk.sequence }.map(\.0.digest)
        let outcome: String
        do {
            switch try RecordingRules.accept(row.chunk, into: before, storedDigest: stored, at: Self.at(30)) {
            case .extended: outcome = "extended"
            case .alreadyStored: outcome = "already_stored"
            }
        } catch {
            outcome = error.code.rawValue
            if error.code == .outOfOrder { #expect(error.expectedSequence == before.progress.nextSequence) }
        }
        #expect(outcome == row.expected)
    }

    @Test("a recording full of bytes takes no more")
    func full() throws {
        var recording = try Self.started()
        recording.progress = RecordingProgress(nextSequence: 1, byteCount: Recording.maximumByteCount - 10, lastEventTime: 0, lastChunkAt: Self.at(6), lostBytes: 0, gaps: 0)
        #expect(throws: RecordingRefusal(.full, "the recording holds at most \(Recording.maximumByteCount) bytes in \(Recording.maximumChunkCount) chunks")) {
            try RecordingRules.accept(try Self.chunk(1, bytes: 11), into: recording, storedDigest: nil, at: Self.at(7))
        }
    }

    @Test("chunks out of range are refused before the rules see them", arguments: [-1, Recording.maximumChunkCount])
    func sequenceRange(_ sequence: Int) {
        #expect(throws: DomainError.self) { try Self.chunk(sequence) }
        #expect(throws: DomainError.self) { try Self.chunk(0, bytes: RecordingChunk.maximumByteCount + 1) }
        #expect(throws: DomainError.self) { try Self.chunk(0, exit: 256) }
        #expect(throws: DomainError.self) { try Self.chunk(0, lost: -1) }
        #expect(throws: DomainError.self) { try Self.chunk(0, times: (10, 5)) }
    }

    struct StateCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let started: Bool
        let chunks: [(RecordingChunk, TimeInterval)]
        let now: TimeInterval
        let expected: RecordingState
    }

    static let states: [StateCase] = [
        StateCase(testDescription: "issued, not yet used", started: false, chunks: [], now: 60, expected: .awaiting),
        StateCase(testDescription: "the certificate expired unused", started: false, chunks: [], now: 3600, expected: .unused),
        StateCase(testDescription: "started, the first chunk still to come", started: true, chunks: [], now: 60, expected: .streaming),
        StateCase(testDescription: "started, then nothing for longer than the silence limit", started: true, chunks: [], now: 5 + RecordingRules.silenceLimit + 1, expected: .missing),
        StateCase(testDescription: "uploading", started: true, chunks: [(try! chunk(0), 10)], now: 60, expected: .streaming),
        StateCase(testDescription: "a long session after its certificate expired, still uploading", started: true, chunks: [(try! chunk(0), 10), (try! chunk(1, times: (10, 20)), 7000)], now: 7100, expected: .streaming),
        StateCase(testDescription: "the recorder fell silent without its final chunk (killed)", started: true, chunks: [(try! chunk(0), 10)], now: 10 + RecordingRules.silenceLimit + 1, expected: .incomplete),
        StateCase(testDescription: "uploads without a start call", started: false, chunks: [(try! chunk(0), 10)], now: 60, expected: .streaming),
        StateCase(testDescription: "complete", started: true, chunks: [(try! chunk(0), 10), (try! chunk(1, times: (10, 20), exit: 0), 20)], now: 9999, expected: .complete),
        StateCase(testDescription: "a reported gap while streaming", started: true, chunks: [(try! chunk(0), 10), (try! chunk(1, times: (10, 20), lost: 4096), 20)], now: 30, expected: .incomplete),
        StateCase(testDescription: "complete but with a gap", started: true, chunks: [(try! chunk(0), 10), (try! chunk(1, times: (10, 20), exit: 0, lost: 1), 20)], now: 30, expected: .incomplete),
    ]

    @Test("states", arguments: states)
    func state(_ row: StateCase) throws {
        let recording = try Self.upload(row.chunks, to: row.started ? try Self.started() : Self.fresh())
        #expect(RecordingRules.state(of: recording, at: Self.at(row.now)) == row.expected)
        #expect(RecordingRules.state(of: recording, at: Self.at(row.now)).isAlarm == [.incomplete, .missing].contains(row.expected))
    }

    @Test("audit: a start once, a gap with its size, the completion with the exit status")
    func audit() throws {
        let report = try RecordingStart(reportedHost: "web-3", command: "uptime", hasTerminal: false, receivedAt: Self.at(5), session: Self.session)
        guard case .started(let started, let startEvents) = try Self.start(Self.fresh(), report) else {
            Issue.record("the first start did not start the certificate's recording")
            return
        }
        #expect(startEvents.map(\.action) == [.recordingStarted])
        #expect(startEvents.first?.details["command"] == "uptime")
        #expect(startEvents.first?.details["session"] == Self.session.rawValue)
        let again = try Self.start(started, try RecordingStart(reportedHost: "elsewhere", command: nil, hasTerminal: true, receivedAt: Self.at(9), session: Self.session))
        #expect(again == .resumed(started), "a retry keeps the first report and audits nothing")
        let first = try Self.upload([(try Self.chunk(0), 10)], to: started)
        guard case .extended(let done, let events) = try RecordingRules.accept(try Self.chunk(1, times: (10, 20), exit: 3, lost: 512), into: first, storedDigest: nil, at: Self.at(20)) else {
            Issue.record("the final chunk was not taken")
            return
        }
        #expect(events.map(\.action) == [.recordingGap, .recordingCompleted])
        #expect(events.first?.details["lost_bytes"] == "512")
        #expect(events.last?.details["exit_status"] == "3")
        #expect(events.last?.details["state"] == "incomplete")
        #expect(done.completion == RecordingCompletion(exitStatus: 3, completedAt: Self.at(20)))
    }
}
