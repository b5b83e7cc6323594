import CountersignCore
import CountersignSQLite
import CountersignStore
import Foundation
import GRDB
import Testing

@Suite("The recording contract on SQLite")
struct RecordingContractOnSQLiteTests {
    @Test("a recorded certificate's issue opens its recording, found by its upload token")
    func issue() async throws { try await withSQLiteStore(RecordingStoreContract.aRecordedIssueOpensItsRecording) }

    @Test("uploads extend a recording in order, with their proofs and events")
    func uploads() async throws { try await withSQLiteStore(RecordingStoreContract.uploadsExtendInOrderWithTheirProofs) }

    @Test("a refused upload, or bytes that could not be kept, change nothing")
    func refusals() async throws { try await withSQLiteStore(RecordingStoreContract.refusedUploadsAndLostBytesChangeNothing) }

    @Test("unfinished recordings are those a session touched and left open or with a gap")
    func unfinished() async throws { try await withSQLiteStore(RecordingStoreContract.unfinishedRecordingsAreThoseASessionTouchedAndLeftOpenOrGapped) }

    @Test("a certificate's later sessions open recordings of their own, found by their derived tokens, within the bound")
    func sessions() async throws { try await withSQLiteStore(RecordingStoreContract.laterSessionsOpenRecordingsOfTheirOwn) }

    @Test("the same session of one certificate started at once by two connections to one file opens one recording")
    func concurrentStarts() async throws {
        try await withSQLiteStore { store, path in
            try await RecordingStoreContract.concurrentStartsOpenOneRecordingPerSession([store, try SQLiteStore.open(path: path)])
        }
    }

    @Test("one chunk sent at once many times, also by two connections to one file, is stored once")
    func concurrent() async throws {
        try await withSQLiteStore { store, path in
            try await RecordingStoreContract.concurrentUploadsStoreAChunkOnce([store, try SQLiteStore.open(path: path)])
        }
    }

    @Test("chunk proofs cannot be edited or deleted, and a recording only moves forward")
    func appendOnly() async throws {
        try await withSQLiteStore { store, path in
            let (recording, _) = try await RecordingStoreContract.issuedRecording(on: store, at: ManualClock().now())
            try await RecordingStoreContract.upload(try RecordingStoreContract.chunk(0, Array("{}\n".utf8)), to: recording.id, on: store, at: ManualClock().now())
            let edits = [
                "DELETE FROM recording_chunks",
                "UPDATE recording_chunks SET digest = zeroblob(32)",
                "DELETE FROM recordings",
                "UPDATE recordings SET next_sequence = 0",
                "UPDATE recordings SET upload_token_hash = zeroblob(32)",
                "UPDATE recordings SET holder = 'mallory'",
                "UPDATE recordings SET last_event_time = 0",
                "UPDATE recordings SET certificate_recording_id = id",
            ]
            for sql in edits {
                #expect(throws: (any Error).self, "\(sql)") { try DatabaseQueue(path: path).write { db in try db.execute(sql: sql) } }
            }
            #expect(try await store.chunks(of: recording.id).count == 1)
            #expect(try await store.recording(recording.id)?.progress.nextSequence == 1)
        }
    }
}
