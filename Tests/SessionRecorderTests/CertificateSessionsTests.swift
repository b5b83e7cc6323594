import CountersignAPI
import CountersignCore
import Foundation
import Synchronization
import Testing
@testable import SessionRecorder

/// Several sessions under one certificate: each recorder run names its session in the start
/// call and uploads where the answer says, with the token for that recording; against a gateway
/// that answers as the contract says (`RecordingUploaderTests.ScriptedGateway`; the real one
/// through the real sshd in `RecordedSSHSessionTests`).
@Suite("Sessions under one certificate: each run uploads to the recording its start is answered, with that recording's token")
struct CertificateSessionsTests {
    typealias Gateway = RecordingUploaderTests.ScriptedGateway
    typealias Setup = ChunkLedgerTests.Setup

    @Test("the certificate's first session is given the certificate's own recording and uploads there with the certificate's token")
    func firstSession() async throws {
        var setup = try Setup()
        defer { setup.remove() }
        RecordingUploaderTests.session(&setup, chunks: 2)
        let gateway = Gateway()
        let outcome = await RecordingUploaderTests.uploader(setup, gateway).run()
        #expect(outcome.complete && outcome.recording == gateway.certificate.recordingID, "\(outcome)")
        #expect(gateway.uploads.allSatisfy { $0.recording == gateway.certificate.recordingID && $0.token == gateway.certificate.uploadToken.revealed })
        #expect(gateway.stored.flatMap { $0 } == (try setup.spoolBytes()))
    }

    @Test("a later session is given a recording of its own: every chunk goes there with the token derived for the session, none to the certificate's")
    func laterSession() async throws {
        var setup = try Setup()
        defer { setup.remove() }
        RecordingUploaderTests.session(&setup, chunks: 3)
        let gateway = Gateway()
        gateway.openOtherSessions(1)
        let session = RecordingSessionID.random()
        let progress = Mutex<[RecordingUploader.Outcome]>([])
        let outcome = await RecordingUploaderTests.uploader(setup, gateway, session: session) { outcome, _ in progress.withLock { $0.append(outcome) } }.run()
        let own = try #require(gateway.sessions.last)
        #expect(own.session == session && own.recording != gateway.certificate.recordingID)
        #expect(outcome.complete && outcome.recording == own.recording, "\(outcome)")
        let derived = gateway.certificate.uploadToken.derived(for: session).revealed
        #expect(!gateway.uploads.isEmpty && gateway.uploads.allSatisfy { $0.recording == own.recording && $0.token == derived })
        #expect(gateway.stored(in: own.recording).flatMap { $0 } == (try setup.spoolBytes()))
        #expect(gateway.stored.isEmpty, "nothing of this session in the first session's recording")
        // The state file hears of the recording as soon as the start is answered, before any chunk.
        #expect(progress.withLock { $0.first } == RecordingUploader.Outcome(recording: own.recording))
    }

    @Test("a start whose answer is lost is sent again with the same session id and answered the same recording; nothing is uploaded before")
    func lostStartAnswer() async throws {
        var setup = try Setup()
        defer { setup.remove() }
        RecordingUploaderTests.session(&setup, chunks: 2)
        let gateway = Gateway(startScript: { call, body, gateway in
            guard call == 0 else { return nil }
            // The gateway took the start and opened the session's recording; its answer never came back.
            _ = gateway.take(body)
            return .retryLater("the connection was reset")
        })
        gateway.openOtherSessions(1)
        let outcome = await RecordingUploaderTests.uploader(setup, gateway).run()
        #expect(outcome.complete, "\(outcome)")
        #expect(gateway.starts.count == 2 && Set(gateway.starts.map(\.session)).count == 1, "the retry names the same session")
        #expect(gateway.sessions.count == 2, "the retry opened no third session")
        let own = try #require(gateway.sessions.last)
        #expect(outcome.recording == own.recording && own.recording != gateway.certificate.recordingID)
        #expect(gateway.uploads.allSatisfy { $0.recording == own.recording })
        #expect(gateway.calls.prefix(2) == ["start", "start"] && gateway.calls.dropFirst(2).allSatisfy { $0 == "upload" })
        #expect(gateway.stored(in: own.recording).flatMap { $0 } == (try setup.spoolBytes()))
    }

    @Test("while no start is answered (the gateway down as the session begins) nothing is uploaded; then every chunk follows from the first")
    func outageAtStart() async throws {
        var setup = try Setup()
        defer { setup.remove() }
        RecordingUploaderTests.session(&setup, chunks: 3)
        let gateway = Gateway(startScript: { call, _, _ in call < 4 ? .retryLater(call % 2 == 0 ? "connection refused" : "HTTP 503") : nil })
        let outcome = await RecordingUploaderTests.uploader(setup, gateway).run()
        #expect(outcome.complete, "\(outcome)")
        #expect(gateway.calls.prefix(5) == ["start", "start", "start", "start", "start"] && gateway.calls.dropFirst(5).allSatisfy { $0 == "upload" })
        #expect(Set(gateway.starts.map(\.session)).count == 1)
        #expect(gateway.uploads.map(\.sequence) == [0, 1, 2, 3, 4])
        #expect(gateway.stored.flatMap { $0 } == (try setup.spoolBytes()))
    }

    @Test("a certificate out of sessions (409 recording_sessions_exhausted) refuses the start: nothing is uploaded anywhere, the outcome says why")
    func sessionsExhausted() async throws {
        var setup = try Setup()
        defer { setup.remove() }
        RecordingUploaderTests.session(&setup, chunks: 2)
        let gateway = Gateway()
        gateway.openOtherSessions(Gateway.sessionLimit)
        let outcome = await RecordingUploaderTests.uploader(setup, gateway).run()
        #expect(!outcome.complete && outcome.recording == nil)
        #expect(outcome.problem?.contains("recording_sessions_exhausted") == true, "\(outcome)")
        #expect(gateway.starts.count == 1 && gateway.uploads.isEmpty, "a refusal is not retried, and there is nowhere to upload")
        #expect(setup.ledger.unstoredBytes == (try setup.spoolBytes()).count, "the spool keeps all of it")
    }

    @Test("the token for the certificate's recording is the certificate's; for another, the one derived for the session; printing a target shows neither")
    func targetToken() throws {
        let certificate = RecordingUploaderTests.certificate()
        let session = RecordingSessionID.random()
        let own = UploadTarget(answered: certificate.recordingID, certificate: certificate, session: session)
        #expect(own.token.revealed == certificate.uploadToken.revealed)
        let other = RecordingID.random()
        let later = UploadTarget(answered: other, certificate: certificate, session: session)
        #expect(later.recordingID == other && later.token.revealed == certificate.uploadToken.derived(for: session).revealed)
        #expect(later.token.revealed != certificate.uploadToken.revealed)
        #expect(UploadTarget(answered: other, certificate: certificate, session: .random()).token.revealed != later.token.revealed)
        for printed in ["\(later)", String(reflecting: later), "\(own)"] {
            #expect(!printed.contains(later.token.revealed) && !printed.contains(certificate.uploadToken.revealed), "\(printed)")
        }
    }
}
