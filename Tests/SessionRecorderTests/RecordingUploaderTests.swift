import Asciicast
import CountersignAPI
import CountersignCore
import Foundation
import Glibc
import Synchronization
import Testing
@testable import SessionRecorder

/// The uploader's rules, each against a gateway that answers what the case needs (the real
/// gateway's answers are tested end to end, `RecorderUploadTests`): what is sent under which
/// number, what a refusal or an outage does, when it gives up.
@Suite("The recorder's uploads: in order, retried, moved where the gateway says, gaps reported")
struct RecordingUploaderTests {
    /// A gateway as the contract has it, after `script` (uploads) and `startScript` (starts) have
    /// had their say for each call: the certificate's first session is given the certificate's
    /// recording, a later one (another session id) a new one, a retried start the same one, and no
    /// more than 64 sessions; a chunk is taken only with the token of the recording it goes to.
    final class ScriptedGateway: RecordingGateway {
        struct Upload: Equatable {
            let recording: RecordingID
            let token: String
            let sequence: Int
            let bytes: [UInt8]
            let lostBytes: Int
            let exitStatus: Int32?
        }

        struct State {
            var uploads: [Upload] = []
            var stored: [RecordingID: [[UInt8]]] = [:]
            var starts: [RecordingStartBody] = []
            /// The recording each session was given, in the order of their first start.
            var sessions: [(session: RecordingSessionID, recording: RecordingID)] = []
            /// "start" and "upload", as the calls came.
            var calls: [String] = []
        }

        static let sessionLimit = 64

        let certificate: RecordingCredentials
        private let state = Mutex(State())
        /// Answers an upload (by the number of uploads before it) instead of the gateway, or nil to let it answer.
        let script: @Sendable (_ call: Int, _ sequence: Int, _ gateway: ScriptedGateway) -> GatewayAnswer?
        /// Answers a start (by the number of starts before it) instead of the gateway, or nil to
        /// let it answer. A start the gateway takes but whose answer is lost calls `take` first.
        let startScript: @Sendable (_ call: Int, _ body: RecordingStartBody, _ gateway: ScriptedGateway) -> StartAnswer?

        init(
            certificate: RecordingCredentials = RecordingUploaderTests.certificate(),
            startScript: @escaping @Sendable (Int, RecordingStartBody, ScriptedGateway) -> StartAnswer? = { _, _, _ in nil },
            uploads script: @escaping @Sendable (Int, Int, ScriptedGateway) -> GatewayAnswer? = { _, _, _ in nil }
        ) {
            self.certificate = certificate
            self.startScript = startScript
            self.script = script
        }

        var uploads: [Upload] { state.withLock { $0.uploads } }
        var starts: [RecordingStartBody] { state.withLock { $0.starts } }
        var sessions: [(session: RecordingSessionID, recording: RecordingID)] { state.withLock { $0.sessions } }
        var calls: [String] { state.withLock { $0.calls } }
        func stored(in recording: RecordingID) -> [[UInt8]] { state.withLock { $0.stored[recording] ?? [] } }
        /// What the certificate's own recording holds: where a run of the certificate's first session uploads.
        var stored: [[UInt8]] { stored(in: certificate.recordingID) }

        /// Forgets what the certificate's recording stored from `sequence` on: a gateway restored from a backup.
        func rollBack(to sequence: Int) {
            let recording = certificate.recordingID
            state.withLock { state in state.stored[recording] = state.stored[recording].map { Array($0.prefix(sequence)) } }
        }

        /// `count` sessions under the certificate started by other runs (other ssh connections).
        func openOtherSessions(_ count: Int) {
            for _ in 0..<count { _ = take(RecordingStartBody(session: RecordingSessionID.random().rawValue, host: "h", command: nil, pty: false)) }
        }

        /// The gateway's own answer to a start, the session it opens kept.
        func take(_ body: RecordingStartBody) -> StartAnswer {
            guard let session = try? RecordingSessionID(body.session) else { return .refused("session must be 32 lowercase hexadecimal digits [invalid_field]") }
            let recording: RecordingID? = state.withLock { state in
                if let known = state.sessions.first(where: { $0.session == session }) { return known.recording }
                guard state.sessions.count < Self.sessionLimit else { return nil }
                let recording = state.sessions.isEmpty ? certificate.recordingID : RecordingID.random()
                state.sessions.append((session, recording))
                return recording
            }
            guard let recording else { return .refused("the certificate has opened as many sessions as it may [recording_sessions_exhausted]") }
            return .started(UploadTarget(answered: recording, certificate: certificate, session: session))
        }

        /// The token the gateway takes for `recording`: the certificate's for its own, else the one
        /// derived for the session that was given it.
        private func expectedToken(for recording: RecordingID, _ state: State) -> String? {
            if recording == certificate.recordingID { return certificate.uploadToken.revealed }
            return state.sessions.first { $0.recording == recording }.map { certificate.uploadToken.derived(for: $0.session).revealed }
        }

        func start(_ body: RecordingStartBody) async -> StartAnswer {
            let call = state.withLock { state in
                state.starts.append(body)
                state.calls.append("start")
                return state.starts.count - 1
            }
            return startScript(call, body, self) ?? take(body)
        }

        func upload(to target: UploadTarget, sequence: Int, _ bytes: [UInt8], lostBytes: Int, exitStatus: Int32?) async -> GatewayAnswer {
            let recording = target.recordingID
            let call = state.withLock { state in
                state.uploads.append(Upload(recording: recording, token: target.token.revealed, sequence: sequence, bytes: bytes, lostBytes: lostBytes, exitStatus: exitStatus))
                state.calls.append("upload")
                return state.uploads.count - 1
            }
            if let answer = script(call, sequence, self) { return answer }
            return takeUpload(call)
        }

        /// The gateway's own answer to upload number `call`, what it stores kept: a script that
        /// loses the answer of a stored upload calls it first.
        @discardableResult
        func takeUpload(_ call: Int) -> GatewayAnswer {
            state.withLock { state in
                let upload = state.uploads[call]
                guard let token = expectedToken(for: upload.recording, state), token == upload.token else { return .refused("recording_forbidden") }
                let stored = state.stored[upload.recording] ?? []
                if upload.sequence < stored.count { return stored[upload.sequence] == upload.bytes ? .stored(nextSequence: stored.count) : .refused("chunk_conflict") }
                guard upload.sequence == stored.count else { return .outOfOrder(nextSequence: stored.count) }
                state.stored[upload.recording] = stored + [upload.bytes]
                return .stored(nextSequence: stored.count + 1)
            }
        }
    }

    typealias Setup = ChunkLedgerTests.Setup

    static func certificate() -> RecordingCredentials {
        RecordingCredentials(recordingID: RecorderFixtures.recording, uploadToken: .generate(), recordsInput: false)
    }

    /// `mergeLimit` 0 by default: the cases read one upload per chunk; the merging has its own.
    static func uploader(
        _ setup: Setup, _ gateway: ScriptedGateway, grace: Duration = .seconds(60), session: RecordingSessionID = .random(), mergeLimit: Int = 0,
        onProgress: @escaping @Sendable (RecordingUploader.Outcome, Int) -> Void = { _, _ in }
    ) -> RecordingUploader {
        var policy = RecordingUploader.Policy()
        policy.mergeLimit = mergeLimit
        policy.firstRetry = .milliseconds(5)
        policy.retryCap = .milliseconds(20)
        policy.grace = grace
        policy.idleWait = .milliseconds(5)
        return RecordingUploader(
            ledger: setup.ledger, gateway: gateway, startBody: RecordingStartBody(session: session.rawValue, host: "h", command: nil, pty: true),
            clock: MonotonicClock(), policy: policy, onProgress: onProgress
        )
    }

    /// A session of `chunks` cut chunks of text, then its end with `status`.
    static func session(_ setup: inout Setup, chunks: Int, status: Int32 = 0) {
        for number in 0..<chunks {
            setup.output("line \(number)\r\n")
            setup.clock.advance(milliseconds: 300)
            setup.recording.cutIfDue()
        }
        setup.recording.finish(exitStatus: status)
    }

    @Test("every chunk goes under the next number, the last with final and the exit status; the gateway ends with the spool's bytes")
    func inOrder() async throws {
        var setup = try Setup()
        defer { setup.remove() }
        Self.session(&setup, chunks: 3, status: 7)
        let gateway = ScriptedGateway()
        let outcome = await Self.uploader(setup, gateway).run()
        #expect(outcome == RecordingUploader.Outcome(recording: gateway.certificate.recordingID, complete: true, problem: nil, nextSequence: 5))
        #expect(gateway.uploads.map(\.sequence) == [0, 1, 2, 3, 4])
        #expect(gateway.uploads.map(\.exitStatus) == [nil, nil, nil, nil, 7])
        #expect(gateway.stored.flatMap { $0 } == (try setup.spoolBytes()))
    }

    @Test("an outage (connection refused, 503, 429) keeps the chunk and retries it until it is stored: nothing lost, nothing twice")
    func outage() async throws {
        var setup = try Setup()
        defer { setup.remove() }
        Self.session(&setup, chunks: 2)
        let gateway = ScriptedGateway(startScript: { call, _, _ in call == 0 ? .retryLater("connection refused") : nil }, uploads: { call, _, _ in
            switch call {
            case 0, 1: .retryLater("connection refused")
            case 2: .retryLater("HTTP 503")
            case 3: .retryLater("HTTP 429")
            default: nil
            }
        })
        let outcome = await Self.uploader(setup, gateway).run()
        #expect(outcome.complete)
        #expect(gateway.stored.flatMap { $0 } == (try setup.spoolBytes()))
        // The start not reached once, then chunk 0 four times: then it is stored.
        #expect(gateway.starts.count == 2)
        #expect(gateway.uploads.map(\.sequence) == [0, 0, 0, 0, 0, 1, 2, 3])
    }

    @Test("409 out of order from a gateway that lost chunks moves back to the number it names and resends from there")
    func outOfOrderResends() async throws {
        var setup = try Setup(memoryLimit: 64 * 1024)
        defer { setup.remove() }
        Self.session(&setup, chunks: 4)
        let rolledBack = Mutex(false)
        // When chunk 4 goes out, the gateway turns out to hold only 0 and 1 (restored from a
        // backup): it answers 409 with next 2.
        let gateway = ScriptedGateway(uploads: { _, sequence, gateway in
            if sequence == 4, !rolledBack.withLock({ $0 }) {
                rolledBack.withLock { $0 = true }
                gateway.rollBack(to: 2)
            }
            return nil
        })
        let outcome = await Self.uploader(setup, gateway).run()
        #expect(outcome.complete, "\(outcome)")
        #expect(gateway.uploads.map(\.sequence) == [0, 1, 2, 3, 4, 2, 3, 4, 5])
        #expect(gateway.stored.flatMap { $0 } == (try setup.spoolBytes()), "resent chunks are the very bytes, read back from the spool")
    }

    @Test("chunks lost to an altered spool take no number: the next chunk sent carries their size as lost_bytes")
    func lostBytesReported() async throws {
        var setup = try Setup(memoryLimit: 64 * 1024)
        defer { setup.remove() }
        let read = [UInt8](repeating: UInt8(ascii: "a"), count: 4096)
        for _ in 0..<100 { read.withUnsafeBytes { setup.recording.record(.output, $0) } }
        setup.recording.finish(exitStatus: 0)
        let chunks = setup.ledger.count
        let header = setup.contents()[0]
        guard case .bytes(let headerBytes) = header else { Issue.record("no header"); return }
        truncate(setup.spool.path, off_t(headerBytes.count + 10))
        let gateway = ScriptedGateway()
        let outcome = await Self.uploader(setup, gateway).run()
        #expect(outcome.complete)
        let lost = try #require(gateway.uploads.last)
        #expect(gateway.uploads.count == 2, "the header, then the final chunk from memory")
        #expect(lost.sequence == 1 && lost.exitStatus == 0 && lost.lostBytes > 4 * 64 * 1024)
        #expect(chunks > 3)
    }

    @Test("a refusal other than 409 out of order stops the uploads and says why; the session's recording stays in the spool")
    func refusalStops() async throws {
        var setup = try Setup()
        defer { setup.remove() }
        Self.session(&setup, chunks: 3)
        let gateway = ScriptedGateway(uploads: { _, sequence, _ in sequence == 2 ? .refused("recording_closed") : nil })
        let outcome = await Self.uploader(setup, gateway).run()
        #expect(!outcome.complete && outcome.problem == "recording_closed")
        #expect(gateway.uploads.map(\.sequence) == [0, 1, 2])
    }

    @Test("after the session ends, an unreachable gateway is given up after the grace period")
    func givesUpAfterGrace() async throws {
        var setup = try Setup()
        defer { setup.remove() }
        let gateway = ScriptedGateway(startScript: { _, _, _ in .retryLater("connection refused") })
        setup.recording.finish(exitStatus: 0)
        // That it returns at all is the point: with an unreachable gateway the uploader never
        // stops on its own during a session. Tests assert on no timing.
        let outcome = await Self.uploader(setup, gateway, grace: .milliseconds(200)).run()
        #expect(!outcome.complete && outcome.problem == "connection refused")
    }

    @Test("chunks that wait go as one upload each up to the merge limit, in order, the last with final: the gateway holds the spool's bytes")
    func backlogMerged() async throws {
        var setup = try Setup()
        defer { setup.remove() }
        Self.session(&setup, chunks: 40, status: 3)
        let chunks = setup.ledger.count
        let gateway = ScriptedGateway()
        let limit = 256
        let outcome = await Self.uploader(setup, gateway, mergeLimit: limit).run()
        #expect(outcome.complete)
        #expect(gateway.stored.flatMap { $0 } == (try setup.spoolBytes()))
        #expect(gateway.uploads.count < chunks / 4, "\(gateway.uploads.count) uploads for \(chunks) chunks")
        #expect(gateway.uploads.dropFirst().allSatisfy { $0.bytes.count <= limit }, "only the header chunk may stand alone above the limit")
        #expect(gateway.uploads.map(\.sequence) == Array(0..<gateway.uploads.count))
        #expect(gateway.uploads.map(\.exitStatus) == Array(repeating: nil, count: gateway.uploads.count - 1) + [3])
    }

    @Test("an upload not answered is retried with the very same bytes, though more chunks were cut meanwhile")
    func retriedUploadIsTheSame() async throws {
        var setup = try Setup()
        defer { setup.remove() }
        for number in 0..<3 {
            setup.output("line \(number)\r\n")
            setup.clock.advance(milliseconds: 300)
            setup.recording.cutIfDue()
        }
        let cutMore = Mutex<Setup?>(setup)
        // The first upload of chunk 1 is stored, but its answer is lost; before the retry, the
        // session prints more and ends.
        let gateway = ScriptedGateway(uploads: { call, sequence, gateway in
            guard sequence == 1, call == 1 else { return nil }
            gateway.takeUpload(call)
            cutMore.withLock { pending in
                guard var more = pending else { return }
                for number in 3..<10 {
                    more.output("more \(number)\r\n")
                    more.clock.advance(milliseconds: 300)
                    more.recording.cutIfDue()
                }
                more.recording.finish(exitStatus: 0)
                pending = nil
            }
            return .retryLater("the answer was lost")
        })
        let outcome = await Self.uploader(setup, gateway, mergeLimit: 1 << 20).run()
        #expect(outcome.complete, "\(outcome)")
        let ones = gateway.uploads.filter { $0.sequence == 1 }
        #expect(ones.count == 2 && ones[0].bytes == ones[1].bytes, "the retry sent what the lost call sent, not a bigger merge")
        #expect(gateway.stored.flatMap { $0 } == (try setup.spoolBytes()))
    }
}
