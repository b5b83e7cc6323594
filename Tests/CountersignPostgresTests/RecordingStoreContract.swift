import CountersignCore
import CountersignStore
import Crypto
import Foundation
import Synchronization
import Testing

/// What every backend's recording store must do, against the protocols alone, given a fresh
/// store: a recorded certificate's recording commits with its issue, an upload token finds its
/// one recording, uploads extend it strictly in order with their proofs and events, and a
/// refused upload or a failure to keep the bytes changes nothing.
enum RecordingStoreContract {
    typealias Fixtures = ContractFixtures

    /// The sequence numbers whose bytes an upload kept.
    final class KeptSequences: Sendable {
        let values = Mutex<[Int]>([])
    }

    struct DiskFull: Error {}

    static let recordedTerms = try! CertificateTerms(lifetimeSeconds: 600, recording: .outputAndInput)

    /// bob's recorded ssh request, approved by dan, and one certificate issued for it: the
    /// recording it opened and its upload token.
    static func issuedRecording(on store: some RequestStore & CredentialStore & RecordingStore, at now: Date) async throws -> (Recording, RecordingUploadToken) {
        let request = try await store.file(try Fixtures.ssh(by: "bob", terms: recordedTerms, at: now))
        let dan = try Fixtures.actor("dan", groups: ["dba"])
        let approved = try await store.update(request.id, at: now) { try RequestRules.apply(.approve(dan, method: .session), to: $0, at: now) }
        let token = RecordingUploadToken.generate()
        let ticket = RecordingTicket(id: .random(), uploadToken: token)
        let bob = try Fixtures.user("bob")
        let change = try await store.issueCredential(for: approved.id, at: now) { current, serial in
            let grant = try CredentialRules.grant(.sshCertificate, for: current, to: bob, lifetime: 600, at: now)
            let change = try CredentialRules.issue(grant, of: current, serial: serial, fingerprint: CredentialStoreContract.fingerprint(serial), at: now, recording: ticket)
            return (change, change)
        }
        return (try #require(change.recordings.first).recording, token)
    }

    static func chunk(_ sequence: Int, _ bytes: [UInt8], times: (Int64, Int64)? = (0, 10), final: Int? = nil, lost: Int = 0) throws -> RecordingChunk {
        try RecordingChunk(
            sequence: sequence, byteCount: bytes.count, digest: Array(SHA256.hash(data: bytes)), startsWithHeader: sequence == 0,
            firstEventTime: times?.0, lastEventTime: times?.1, final: try final.map(RecordingChunk.Final.init(exitStatus:)), lostBytes: lost
        )
    }

    /// The start call of `session` under the certificate's recording `id`, as the gateway makes it.
    @discardableResult
    static func start(
        _ session: RecordingSessionID, on id: RecordingID, token: RecordingUploadToken, host: String = "db-1", command: String? = nil,
        store: some RecordingStore, at now: Date
    ) async throws -> Recording {
        let report = try RecordingStart(reportedHost: host, command: command, hasTerminal: command == nil, receivedAt: now, session: session)
        let newID = RecordingID.random()
        return try await store.startSession(session, on: id) { certificate, existing, opened in
            try RecordingRules.startSession(report, on: certificate, existing: existing, sessionsOpened: opened, newID: newID, uploadTokenHash: token.derived(for: session).hash)
        }
    }

    @discardableResult
    static func upload(_ chunk: RecordingChunk, to id: RecordingID, on store: some RecordingStore, at now: Date, kept: KeptSequences? = nil) async throws -> RecordingRules.Outcome {
        try await store.appendChunk(chunk, to: id) { recording, stored in
            try RecordingRules.accept(chunk, into: recording, storedDigest: stored, at: now)
        } keepBytes: {
            kept?.values.withLock { $0.append(chunk.sequence) }
        }
    }

    static func aRecordedIssueOpensItsRecording(_ store: some RequestStore & CredentialStore & RecordingStore & AuditLog) async throws {
        let now = ManualClock().now()
        let (recording, token) = try await issuedRecording(on: store, at: now)
        #expect(try await store.recording(recording.id) == recording)
        #expect(try await store.recording(uploadTokenHash: token.hash) == recording)
        #expect(try await store.recording(uploadTokenHash: RecordingUploadToken.generate().hash) == nil)
        #expect(try await store.recording(uploadTokenHash: []) == nil)
        #expect(recording.recordsInput && recording.login == "postgres" && recording.user.rawValue == "bob")
        #expect(RecordingRules.state(of: recording, at: now) == .awaiting)
        #expect(try await store.recordings(of: recording.requestID, user: nil, limit: 10) == [recording])
        #expect(try await store.recordings(of: nil, user: try Fixtures.user("bob"), limit: 10) == [recording])
        #expect(try await store.recordings(of: .random(), user: nil, limit: 10).isEmpty)
        let issued = try await store.auditRecords(after: 0, limit: 100).map(\.event).last
        #expect(issued?.action == .credentialIssued)
        #expect(issued?.details["recording_id"] == recording.id.rawValue)
    }

    static func uploadsExtendInOrderWithTheirProofs(_ store: some RequestStore & CredentialStore & RecordingStore & AuditLog) async throws {
        let clock = ManualClock()
        let (recording, token) = try await issuedRecording(on: store, at: clock.now())
        let session = RecordingSessionID.random()
        let started = try await start(session, on: recording.id, token: token, store: store, at: clock.now())
        #expect(started.id == recording.id && started.start?.reportedHost == "db-1" && started.start?.session == session)
        let again = try await start(session, on: recording.id, token: token, host: "elsewhere", command: "id", store: store, at: clock.now())
        #expect(again == started, "the first start is kept")
        #expect(try await store.recording(recording.id) == started)
        let kept = KeptSequences()
        let header = Array(#"{"version": 2, "width": 80, "height": 24}"#.utf8) + [0x0A]
        clock.advance(by: 1)
        #expect(try await upload(try chunk(0, header), to: recording.id, on: store, at: clock.now(), kept: kept) != RecordingRules.Outcome.alreadyStored)
        #expect(try await upload(try chunk(0, header), to: recording.id, on: store, at: clock.now(), kept: kept) == .alreadyStored)
        let body = Array(#"[0.5, "o", "ls\r\n"]"#.utf8) + [0x0A]
        try await upload(try chunk(1, body, times: (10, 20), lost: 7), to: recording.id, on: store, at: clock.now(), kept: kept)
        try await upload(try chunk(2, [], times: nil, final: 0), to: recording.id, on: store, at: clock.now(), kept: kept)
        #expect(kept.values.withLock { $0 } == [0, 1, 2], "bytes kept once per stored chunk, not for the retry")

        let done = try #require(try await store.recording(recording.id))
        #expect(done.progress.nextSequence == 3 && done.progress.byteCount == header.count + body.count && done.progress.lostBytes == 7)
        #expect(done.completion?.exitStatus == 0)
        #expect(RecordingRules.state(of: done, at: clock.now()) == .incomplete, "a reported gap stays visible")
        #expect(try await store.chunks(of: recording.id) == [
            StoredChunk(sequence: 0, byteCount: header.count, digest: Array(SHA256.hash(data: header))),
            StoredChunk(sequence: 1, byteCount: body.count, digest: Array(SHA256.hash(data: body))),
            StoredChunk(sequence: 2, byteCount: 0, digest: Array(SHA256.hash(data: [UInt8]()))),
        ])
        let actions = try await store.auditRecords(after: 0, limit: 100).map(\.event).filter { $0.subject == recording.id.rawValue }.map(\.action)
        #expect(actions == [.recordingStarted, .recordingGap, .recordingCompleted])
    }

    static func refusedUploadsAndLostBytesChangeNothing(_ store: some RequestStore & CredentialStore & RecordingStore & AuditLog) async throws {
        let now = ManualClock().now()
        let (recording, _) = try await issuedRecording(on: store, at: now)
        let header = Array(#"{"version": 2, "width": 80, "height": 24}"#.utf8) + [0x0A]
        try await upload(try chunk(0, header), to: recording.id, on: store, at: now)
        let before = try await store.auditRecords(after: 0, limit: 1000).count
        let stored = try await store.recording(recording.id)
        let other = Array("other".utf8)

        await #expect(throws: RecordingRefusal.self) { try await upload(try chunk(0, other), to: recording.id, on: store, at: now) }
        await #expect(throws: RecordingRefusal.self) { try await upload(try chunk(5, other), to: recording.id, on: store, at: now) }
        // Bytes that cannot be kept fail the upload as the store's own failure, and nothing says they were stored.
        #expect(await Fixtures.refusalCode {
            _ = try await store.appendChunk(try chunk(1, other, times: (10, 20)), to: recording.id) { recording, digest in
                try RecordingRules.accept(try chunk(1, other, times: (10, 20)), into: recording, storedDigest: digest, at: now)
            } keepBytes: { throw DiskFull() }
        } == "storage_failure")
        #expect(await Fixtures.refusalCode { try await upload(try chunk(0, header), to: .random(), on: store, at: now) } == "not_found")
        #expect(await Fixtures.refusalCode {
            _ = try await start(.random(), on: .random(), token: .generate(), store: store, at: now)
        } == "not_found")
        #expect(try await store.recording(recording.id) == stored)
        #expect(try await store.chunks(of: recording.id).count == 1)
        #expect(try await store.auditRecords(after: 0, limit: 1000).count == before)
    }

    static func unfinishedRecordingsAreThoseASessionTouchedAndLeftOpenOrGapped(_ store: some RequestStore & CredentialStore & RecordingStore & AuditLog) async throws {
        let now = ManualClock().now()
        let header = Array(#"{"version": 2, "width": 80, "height": 24}"#.utf8) + [0x0A]
        let (unused, _) = try await issuedRecording(on: store, at: now)
        let (open, _) = try await issuedRecording(on: store, at: now)
        let (whole, _) = try await issuedRecording(on: store, at: now)
        let (gapped, _) = try await issuedRecording(on: store, at: now)
        let (started, startedToken) = try await issuedRecording(on: store, at: now)
        try await upload(try chunk(0, header), to: open.id, on: store, at: now)
        try await upload(try chunk(0, header, final: 0), to: whole.id, on: store, at: now)
        try await upload(try chunk(0, header, final: 0, lost: 10), to: gapped.id, on: store, at: now)
        try await start(.random(), on: started.id, token: startedToken, store: store, at: now)
        let unfinished = Set(try await store.unfinishedRecordings(limit: 100).map(\.id))
        #expect(unfinished == [open.id, gapped.id, started.id])
        #expect(!unfinished.contains(unused.id) && !unfinished.contains(whole.id))
        #expect(try await store.unfinishedRecordings(limit: 1).count == 1)
    }

    /// Two gateways (or two retries) sending one chunk at once: it is stored once; other bytes
    /// under the same number are refused.
    static func concurrentUploadsStoreAChunkOnce(_ stores: [some RequestStore & CredentialStore & RecordingStore & AuditLog]) async throws {
        let now = ManualClock().now()
        let (recording, _) = try await issuedRecording(on: stores[0], at: now)
        let header = Array(#"{"version": 2, "width": 80, "height": 24}"#.utf8) + [0x0A]
        let kept = KeptSequences()
        let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
            for (index, store) in stores.enumerated() {
                for copy in 0..<4 {
                    group.addTask {
                        let bytes = copy == 3 && index == 0 ? Array("forged".utf8) : header
                        do {
                            return try await upload(try chunk(0, bytes), to: recording.id, on: store, at: now, kept: kept) == .alreadyStored ? "retry" : "stored"
                        } catch let refusal as RecordingRefusal {
                            return refusal.code.rawValue
                        }
                    }
                }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        let chunks = try await stores[0].chunks(of: recording.id)
        #expect(chunks.count == 1)
        #expect(kept.values.withLock { $0 }.count == 1, "the bytes were kept by the one upload that stored them")
        #expect(outcomes.filter { $0 == "stored" }.count == 1)
        if chunks.first?.digest == Array(SHA256.hash(data: header)) {
            #expect(outcomes.filter { $0 == "chunk_conflict" }.count == 1)
        } else {
            #expect(outcomes.filter { $0 == "chunk_conflict" }.count == stores.count * 4 - 1)
        }
    }

    /// One certificate, several sessions: the first takes the certificate's recording, each later
    /// one a recording of its own (same request and serial, the certificate's named), found by
    /// its derived token and by its retry; each is extended apart; the bound is kept.
    static func laterSessionsOpenRecordingsOfTheirOwn(_ store: some RequestStore & CredentialStore & RecordingStore & AuditLog) async throws {
        let clock = ManualClock()
        let (certificate, token) = try await issuedRecording(on: store, at: clock.now())
        let first = RecordingSessionID.random()
        let second = RecordingSessionID.random()
        let own = try await start(first, on: certificate.id, token: token, store: store, at: clock.now())
        clock.advance(by: 30)
        let later = try await start(second, on: certificate.id, token: token, host: "db-1b", command: "uptime", store: store, at: clock.now())
        #expect(later.id != certificate.id && later.certificateRecording == certificate.id)
        #expect(later.requestID == certificate.requestID && later.serial == certificate.serial && later.user == certificate.user)
        #expect(later.start?.session == second && later.start?.command == "uptime" && later.createdAt == clock.now())
        #expect(try await store.recording(later.id) == later)
        #expect(try await store.recording(uploadTokenHash: token.derived(for: second).hash) == later)
        #expect(try await store.recording(uploadTokenHash: token.hash) == own, "the certificate's token still finds the certificate's own")
        #expect(try await start(second, on: certificate.id, token: token, host: "elsewhere", store: store, at: clock.now()) == later, "a retry finds it")
        #expect(try await start(first, on: certificate.id, token: token, store: store, at: clock.now()) == own)
        #expect(Set(try await store.recordings(of: certificate.requestID, user: nil, limit: 10).map(\.id)) == [certificate.id, later.id])

        let header = Array(#"{"version": 2, "width": 80, "height": 24}"#.utf8) + [0x0A]
        try await upload(try chunk(0, header, final: 0), to: later.id, on: store, at: clock.now())
        #expect(try await store.recording(later.id)?.completion?.exitStatus == 0)
        #expect(try await store.recording(certificate.id)?.progress == .empty, "the sessions are extended apart")
        let started = try await store.auditRecords(after: 0, limit: 1000).map(\.event).filter { $0.action == .recordingStarted }
        #expect(started.map(\.subject) == [certificate.id.rawValue, later.id.rawValue])
        #expect(started.last?.details["certificate_recording"] == certificate.id.rawValue)

        // A later session's token opens no session of its own.
        #expect(await Fixtures.refusalCode {
            _ = try await start(.random(), on: later.id, token: token.derived(for: second), store: store, at: clock.now())
        } == RecordingRefusal.Code.sessionInvalid.rawValue)
        for _ in 2..<RecordingRules.maximumSessionsPerCertificate {
            try await start(.random(), on: certificate.id, token: token, store: store, at: clock.now())
        }
        let before = try await store.auditRecords(after: 0, limit: 1000).count
        #expect(await Fixtures.refusalCode {
            _ = try await start(.random(), on: certificate.id, token: token, store: store, at: clock.now())
        } == RecordingRefusal.Code.sessionsExhausted.rawValue)
        #expect(try await store.recordings(of: certificate.requestID, user: nil, limit: 100).count == RecordingRules.maximumSessionsPerCertificate)
        #expect(try await store.auditRecords(after: 0, limit: 1000).count == before)
    }

    /// Two gateways (or a retry racing its first try) starting one session, and others, at once:
    /// each session gets one recording, and the certificate's own goes to exactly one of them.
    static func concurrentStartsOpenOneRecordingPerSession(_ stores: [some RequestStore & CredentialStore & RecordingStore & AuditLog]) async throws {
        let now = ManualClock().now()
        let (certificate, token) = try await issuedRecording(on: stores[0], at: now)
        let sessions = (0..<4).map { _ in RecordingSessionID.random() }
        let answers = try await withThrowingTaskGroup(of: (RecordingSessionID, RecordingID).self) { group in
            for session in sessions {
                for store in stores {
                    for _ in 0..<2 {
                        group.addTask { (session, try await start(session, on: certificate.id, token: token, store: store, at: now).id) }
                    }
                }
            }
            return try await group.reduce(into: [RecordingSessionID: Set<RecordingID>]()) { $0[$1.0, default: []].insert($1.1) }
        }
        #expect(answers.values.allSatisfy { $0.count == 1 }, "every start of one session answered one recording")
        let recordings = Set(answers.values.flatMap { $0 })
        #expect(recordings.count == sessions.count && recordings.contains(certificate.id))
        #expect(try await stores[0].recordings(of: certificate.requestID, user: nil, limit: 100).count == sessions.count)
        let started = try await stores[0].auditRecords(after: 0, limit: 1000).map(\.event).filter { $0.action == .recordingStarted }
        #expect(started.count == sessions.count, "each session's start audited once")
    }
}
