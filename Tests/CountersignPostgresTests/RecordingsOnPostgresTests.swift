@testable import CountersignPostgres
import CountersignCore
import CountersignStore
import Foundation
import Testing

@Suite("Recordings on PostgreSQL", .timeLimit(.minutes(3)))
struct RecordingsOnPostgresTests {
    @Test("a recorded certificate's issue opens its recording, found by its upload token")
    func issue() async throws { try await withPostgresStore { try await RecordingStoreContract.aRecordedIssueOpensItsRecording($0) } }

    @Test("uploads extend a recording in order, with their proofs and events")
    func uploads() async throws { try await withPostgresStore { try await RecordingStoreContract.uploadsExtendInOrderWithTheirProofs($0) } }

    @Test("a refused upload, or bytes that could not be kept, change nothing")
    func refusals() async throws { try await withPostgresStore { try await RecordingStoreContract.refusedUploadsAndLostBytesChangeNothing($0) } }

    @Test("unfinished recordings are those a session touched and left open or with a gap")
    func unfinished() async throws { try await withPostgresStore { try await RecordingStoreContract.unfinishedRecordingsAreThoseASessionTouchedAndLeftOpenOrGapped($0) } }

    @Test("a certificate's later sessions open recordings of their own, found by their derived tokens, within the bound")
    func sessions() async throws { try await withPostgresStore { try await RecordingStoreContract.laterSessionsOpenRecordingsOfTheirOwn($0) } }

    @Test("two gateways starting the same session of one certificate at once open one recording for it")
    func concurrentStarts() async throws {
        try await withTwoGateways { first, second in try await RecordingStoreContract.concurrentStartsOpenOneRecordingPerSession([first, second]) }
    }

    @Test("two gateways sending one chunk at once, many times over, store it once")
    func concurrent() async throws {
        try await withTwoGateways { first, second in try await RecordingStoreContract.concurrentUploadsStoreAChunkOnce([first, second]) }
    }

    @Test("chunk proofs cannot be edited or deleted, and a recording only moves forward")
    func appendOnly() async throws {
        try await withPostgresStore { store in
            let now = ManualClock().now()
            let (recording, _) = try await RecordingStoreContract.issuedRecording(on: store, at: now)
            try await RecordingStoreContract.upload(try RecordingStoreContract.chunk(0, Array("{}\n".utf8)), to: recording.id, on: store, at: now)
            for sql in [
                "DELETE FROM recording_chunks",
                "UPDATE recording_chunks SET digest = '\\x\(String(repeating: "00", count: 32))'",
                "DELETE FROM recordings",
                "UPDATE recordings SET next_sequence = 0",
                "UPDATE recordings SET upload_token_hash = '\\x\(String(repeating: "00", count: 32))'",
                "UPDATE recordings SET holder = 'mallory'",
            ] {
                await #expect(throws: (any Error).self, "\(sql)") { try await store.execute(sql) }
            }
            #expect(try await store.chunks(of: recording.id).count == 1)
            #expect(try await store.recording(recording.id)?.progress.nextSequence == 1)
        }
    }

    @Test("a raw edit may move a recording forward only: its start report and its completion are kept")
    func forwardOnly() async throws {
        try await withPostgresStore { store in
            let now = ManualClock().now()
            let (recording, _) = try await RecordingStoreContract.issuedRecording(on: store, at: now)
            try await store.execute("UPDATE recordings SET started_host = 'db-1', started_pty = true, started_at = 1, started_session = '\(String(repeating: "a", count: 32))'")
            try await store.execute("UPDATE recordings SET last_event_time = 10")
            await #expect(throws: (any Error).self) { try await store.execute("UPDATE recordings SET last_event_time = 9") }
            try await store.execute("UPDATE recordings SET next_sequence = 2, byte_count = 10, exit_status = 0, completed_at = 1")
            for sql in [
                "UPDATE recordings SET started_session = '\(String(repeating: "b", count: 32))'",
                "UPDATE recordings SET certificate_recording_id = id",
                "UPDATE recordings SET lost_bytes = 5",
                "UPDATE recordings SET gaps = 1",
                "UPDATE recordings SET byte_count = 11",
                "UPDATE recordings SET last_event_time = 11",
                "UPDATE recordings SET last_chunk_at = 99",
                "UPDATE recordings SET started_at = NULL, started_host = NULL, started_pty = NULL",
                "UPDATE recordings SET started_command = 'id'",
                "UPDATE recordings SET exit_status = 1",
                "UPDATE recordings SET exit_status = NULL, completed_at = NULL",
                "UPDATE recordings SET next_sequence = 3",
                "UPDATE recordings SET byte_count = 9",
            ] {
                await #expect(throws: (any Error).self, "\(sql)") { try await store.execute(sql) }
            }
            let kept = try #require(try await store.recording(recording.id))
            #expect(kept.start?.reportedHost == "db-1" && kept.start?.command == nil && kept.completion?.exitStatus == 0)
        }
    }
}
