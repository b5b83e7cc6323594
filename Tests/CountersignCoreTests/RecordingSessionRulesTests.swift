import Foundation
import Testing
@testable import CountersignCore

/// Sessions under one certificate: the first takes the certificate's own recording, each later
/// one a recording of its own, a retry finds the recording it had, and the bounds hold.
@Suite("Recording sessions under one certificate")
struct RecordingSessionRulesTests {
    static let first = RecordingSessionID.random()
    static let second = RecordingSessionID.random()
    static let newID = RecordingID.random()
    static let sessionToken = RecordingRulesTests.digest(42)

    static func report(_ session: RecordingSessionID?, at offset: TimeInterval = 5, host: String = "web-3") throws -> RecordingStart {
        try RecordingStart(reportedHost: host, command: nil, hasTerminal: true, receivedAt: RecordingRulesTests.at(offset), session: session)
    }

    static func decide(
        _ report: RecordingStart, on certificate: Recording, existing: Recording? = nil, opened: Int = 0
    ) throws(RecordingRefusal) -> RecordingRules.SessionStart {
        try RecordingRules.startSession(report, on: certificate, existing: existing, sessionsOpened: opened, newID: newID, uploadTokenHash: sessionToken)
    }

    static func startedByFirst() throws -> Recording {
        try decide(try report(first), on: RecordingRulesTests.fresh()).recording
    }

    @Test("the first session starts the certificate's own recording, audited with its session")
    func firstSession() throws {
        let certificate = RecordingRulesTests.fresh()
        guard case .started(let started, let events) = try Self.decide(try Self.report(Self.first), on: certificate) else {
            Issue.record("not started")
            return
        }
        #expect(started.id == certificate.id && started.start?.session == Self.first && started.certificateRecording == nil)
        #expect(events.map(\.action) == [.recordingStarted] && events.first?.details["session"] == Self.first.rawValue)
    }

    @Test("a later session opens a recording of its own: same request, serial and holder, the certificate's named, started at once")
    func laterSession() throws {
        let certificate = try Self.startedByFirst()
        guard case .opened(let new, let events) = try Self.decide(try Self.report(Self.second, at: 60, host: "web-3b"), on: certificate, opened: 3) else {
            Issue.record("no session opened")
            return
        }
        let opened = new.recording
        #expect(opened.id == Self.newID && new.uploadTokenHash == Self.sessionToken)
        #expect(opened.certificateRecording == certificate.id)
        #expect((opened.requestID, opened.serial, opened.user, opened.host, opened.login, opened.recordsInput)
            == (certificate.requestID, certificate.serial, certificate.user, certificate.host, certificate.login, certificate.recordsInput))
        #expect(opened.certificateExpiresAt == certificate.certificateExpiresAt)
        #expect(opened.start?.session == Self.second && opened.start?.reportedHost == "web-3b" && opened.progress == .empty)
        #expect(RecordingRules.state(of: opened, at: RecordingRulesTests.at(61)) == .streaming)
        #expect(events.first?.subject == Self.newID.rawValue && events.first?.details["certificate_recording"] == certificate.id.rawValue)
    }

    struct RetryCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let session: RecordingSessionID
        let existing: Bool
        let expected: String
    }

    static let retries: [RetryCase] = [
        RetryCase(testDescription: "the first session's retry resumes the certificate's recording", session: first, existing: false, expected: "certificate"),
        RetryCase(testDescription: "a later session's retry resumes the recording it opened", session: second, existing: true, expected: "existing"),
    ]

    @Test("retries", arguments: retries)
    func retry(_ row: RetryCase) throws {
        let certificate = try Self.startedByFirst()
        let existing = try Self.decide(try Self.report(Self.second), on: certificate).recording
        let outcome = try Self.decide(try Self.report(row.session, at: 90, host: "elsewhere"), on: certificate, existing: row.existing ? existing : nil, opened: 1)
        #expect(outcome == .resumed(row.expected == "certificate" ? certificate : existing), "nothing changes, nothing is audited")
    }

    struct RefusalCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let certificate: @Sendable () throws -> Recording
        let report: @Sendable () throws -> RecordingStart
        let opened: Int
        let expected: RecordingRefusal.Code
    }

    static let refusals: [RefusalCase] = [
        RefusalCase(
            testDescription: "a start that names no session", certificate: { RecordingRulesTests.fresh() }, report: { try report(nil) },
            opened: 0, expected: .sessionInvalid
        ),
        RefusalCase(
            testDescription: "a new session past the bound of sessions per certificate", certificate: { try startedByFirst() },
            report: { try report(second) }, opened: RecordingRules.maximumSessionsPerCertificate - 1, expected: .sessionsExhausted
        ),
        RefusalCase(
            testDescription: "a session's own recording asked to open another session",
            certificate: { try decide(try report(second), on: try startedByFirst()).recording },
            report: { try report(RecordingSessionID.random()) }, opened: 1, expected: .sessionInvalid
        ),
    ]

    @Test("refusals", arguments: refusals)
    func refusal(_ row: RefusalCase) throws {
        let certificate = try row.certificate()
        let report = try row.report()
        #expect(throws: RecordingRefusal.self) { try Self.decide(report, on: certificate, opened: row.opened) }
        do {
            _ = try Self.decide(report, on: certificate, opened: row.opened)
        } catch {
            #expect(error.code == row.expected)
        }
    }

    @Test("the last session within the bound still opens")
    func lastWithinBound() throws {
        let outcome = try Self.decide(try Self.report(Self.second), on: try Self.startedByFirst(), opened: RecordingRules.maximumSessionsPerCertificate - 2)
        guard case .opened = outcome else {
            Issue.record("refused within the bound")
            return
        }
    }

    @Test("a session's upload token is the certificate's derived for it: fixed for one session, another for another, never the certificate's")
    func derivedTokens() throws {
        let token = RecordingUploadToken.generate()
        let derived = token.derived(for: Self.first)
        #expect(derived.revealed == token.derived(for: Self.first).revealed)
        #expect(derived.revealed != token.derived(for: Self.second).revealed)
        #expect(derived.revealed != token.revealed)
        #expect(RecordingUploadToken(derived.revealed) != nil, "a well-formed csr_ token")
        #expect(derived.revealed != RecordingUploadToken.generate().derived(for: Self.first).revealed)
    }

    @Test("session ids are 32 lowercase hex digits; anything else is refused")
    func sessionIDs() {
        #expect((try? RecordingSessionID(RecordingSessionID.random().rawValue)) != nil)
        for bad in ["", String(repeating: "a", count: 31), String(repeating: "a", count: 33), String(repeating: "A", count: 32),
                    String(repeating: "g", count: 32), String(repeating: "é", count: 16)] {
            #expect((try? RecordingSessionID(bad)) == nil, "\(bad)")
        }
    }
}
