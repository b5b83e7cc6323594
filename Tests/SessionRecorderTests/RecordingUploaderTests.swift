import Asciicast
import CountersignAPI
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
    /// Stores chunks as the contract says, after `script` has had its say for each call.
    final class ScriptedGateway: RecordingGateway {
        struct Upload: Equatable {
            let sequence: Int
            let bytes: [UInt8]
            let lostBytes: Int
            let exitStatus: Int32?
        }

        private let state = Mutex<(uploads: [Upload], stored: [[UInt8]], calls: Int)>(([], [], 0))
        /// Answers a call (0 is the start) instead of the gateway, or nil to let it answer.
        let script: @Sendable (_ call: Int, _ sequence: Int?, _ gateway: ScriptedGateway) -> GatewayAnswer?

        init(_ script: @escaping @Sendable (Int, Int?, ScriptedGateway) -> GatewayAnswer? = { _, _, _ in nil }) {
            self.script = script
        }

        var uploads: [Upload] { state.withLock { $0.uploads } }
        var stored: [[UInt8]] { state.withLock { $0.stored } }

        /// Forgets what was stored from `sequence` on: a gateway restored from a backup.
        func rollBack(to sequence: Int) {
            state.withLock { $0.stored.removeLast($0.stored.count - sequence) }
        }

        func start(_ body: RecordingStartBody) async -> GatewayAnswer {
            let call = state.withLock { state in
                state.calls += 1
                return state.calls - 1
            }
            return script(call, nil, self) ?? .stored(nextSequence: stored.count)
        }

        func upload(sequence: Int, _ bytes: [UInt8], lostBytes: Int, exitStatus: Int32?) async -> GatewayAnswer {
            let call = state.withLock { state in
                state.calls += 1
                state.uploads.append(Upload(sequence: sequence, bytes: bytes, lostBytes: lostBytes, exitStatus: exitStatus))
                return state.calls - 1
            }
            if let answer = script(call, sequence, self) { return answer }
            return state.withLock { state in
                if sequence < state.stored.count { return state.stored[sequence] == bytes ? .stored(nextSequence: state.stored.count) : .refused("chunk_conflict") }
                guard sequence == state.stored.count else { return .outOfOrder(nextSequence: state.stored.count) }
                state.stored.append(bytes)
                return .stored(nextSequence: state.stored.count)
            }
        }
    }

    typealias Setup = ChunkLedgerTests.Setup

    static func uploader(_ setup: Setup, _ gateway: ScriptedGateway, grace: Duration = .seconds(60)) -> RecordingUploader {
        var policy = RecordingUploader.Policy()
        policy.firstRetry = .milliseconds(5)
        policy.retryCap = .milliseconds(20)
        policy.grace = grace
        policy.idleWait = .milliseconds(5)
        return RecordingUploader(
            ledger: setup.ledger, gateway: gateway, startBody: RecordingStartBody(host: "h", command: nil, pty: true), clock: MonotonicClock(),
            policy: policy, onProgress: { _, _ in }
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
        #expect(outcome == RecordingUploader.Outcome(complete: true, problem: nil, nextSequence: 5))
        #expect(gateway.uploads.map(\.sequence) == [0, 1, 2, 3, 4])
        #expect(gateway.uploads.map(\.exitStatus) == [nil, nil, nil, nil, 7])
        #expect(gateway.stored.flatMap { $0 } == (try setup.spoolBytes()))
    }

    @Test("an outage (connection refused, 503, 429) keeps the chunk and retries it until it is stored: nothing lost, nothing twice")
    func outage() async throws {
        var setup = try Setup()
        defer { setup.remove() }
        Self.session(&setup, chunks: 2)
        let gateway = ScriptedGateway { call, _, _ in
            switch call {
            case 0, 2, 3: .retryLater("connection refused")
            case 4: .retryLater("HTTP 503")
            case 5: .retryLater("HTTP 429")
            default: nil
            }
        }
        let outcome = await Self.uploader(setup, gateway).run()
        #expect(outcome.complete)
        #expect(gateway.stored.flatMap { $0 } == (try setup.spoolBytes()))
        // Call 0 is the start (refused once), calls 2 to 5 chunk 0: four failures, then it is stored.
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
        let gateway = ScriptedGateway { _, sequence, gateway in
            if sequence == 4, !rolledBack.withLock({ $0 }) {
                rolledBack.withLock { $0 = true }
                gateway.rollBack(to: 2)
            }
            return nil
        }
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
        let gateway = ScriptedGateway { _, sequence, _ in sequence == 2 ? .refused("recording_closed") : nil }
        let outcome = await Self.uploader(setup, gateway).run()
        #expect(!outcome.complete && outcome.problem == "recording_closed")
        #expect(gateway.uploads.map(\.sequence) == [0, 1, 2])
    }

    @Test("after the session ends, an unreachable gateway is given up after the grace period")
    func givesUpAfterGrace() async throws {
        var setup = try Setup()
        defer { setup.remove() }
        let gateway = ScriptedGateway { _, _, _ in .retryLater("connection refused") }
        setup.recording.finish(exitStatus: 0)
        // That it returns at all is the point: with an unreachable gateway the uploader never
        // stops on its own during a session. Tests assert on no timing.
        let outcome = await Self.uploader(setup, gateway, grace: .milliseconds(200)).run()
        #expect(!outcome.complete && outcome.problem == "connection refused")
    }
}

