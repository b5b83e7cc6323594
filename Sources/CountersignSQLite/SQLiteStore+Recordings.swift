import CountersignCore
import CountersignStore
import Foundation
import GRDB

extension SQLiteStore {
    public func recording(_ id: RecordingID) async throws -> Recording? {
        try await read { db in try RecordingRows.recording(id, in: db) }
    }

    public func recording(uploadTokenHash: [UInt8]) async throws -> Recording? {
        try await read { db in try RecordingRows.recording(uploadTokenHash: uploadTokenHash, in: db) }
    }

    public func startSession(
        _ session: RecordingSessionID, on id: RecordingID,
        decide: @Sendable (Recording, Recording?, Int) throws -> RecordingRules.SessionStart
    ) async throws -> Recording {
        try await write { db in
            guard let certificate = try RecordingRows.recording(id, in: db) else { throw StoreError(.notFound, "no recording \(id)") }
            let existing = try RecordingRows.recording(of: session, under: id, in: db)
            let decision = try decide(certificate, existing, try RecordingRows.sessionCount(under: id, in: db))
            switch decision {
            case .resumed(let recording):
                guard recording.id == id || recording.id == existing?.id else {
                    throw StoreError(.invalidChange, "a start under recording \(id) resumed recording \(recording.id)")
                }
            case .started(let started, let events):
                guard started.id == id else { throw StoreError(.invalidChange, "a start of recording \(id) returned recording \(started.id)") }
                try RecordingRows.persistProgress(of: started, in: db)
                _ = try appendAudit(events, in: db)
            case .opened(let new, let events):
                guard new.recording.certificateRecording == id, new.recording.start?.session == session else {
                    throw StoreError(.invalidChange, "a session opened under recording \(id) must name it and the session")
                }
                try RecordingRows.insert(new, in: db)
                _ = try appendAudit(events, in: db)
            }
            return decision.recording
        }
    }

    public func appendChunk(
        _ chunk: RecordingChunk, to id: RecordingID,
        decide: @Sendable (Recording, [UInt8]?) throws -> RecordingRules.Outcome, keepBytes: @Sendable () throws -> Void
    ) async throws -> RecordingRules.Outcome {
        try await write { db in
            guard let current = try RecordingRows.recording(id, in: db) else { throw StoreError(.notFound, "no recording \(id)") }
            let outcome = try decide(current, try RecordingRows.digest(of: id, sequence: chunk.sequence, in: db))
            guard case .extended(let extended, let events) = outcome else { return outcome }
            guard extended.id == id, extended.progress.nextSequence == chunk.sequence + 1, let receivedAt = extended.progress.lastChunkAt else {
                throw StoreError(.invalidChange, "an upload to recording \(id) must store chunk \(chunk.sequence) and no other")
            }
            // The bytes are in place before anything says they are; if the commit then fails,
            // they lie under a number the recording does not count yet, and the retry replaces them.
            do {
                try keepBytes()
            } catch {
                throw StoreError(.storageFailure, "the bytes of chunk \(chunk.sequence) of recording \(id) could not be kept")
            }
            try RecordingRows.insertChunk(chunk, of: id, at: receivedAt, in: db)
            try RecordingRows.persistProgress(of: extended, in: db)
            _ = try appendAudit(events, in: db)
            return outcome
        }
    }

    public func chunks(of id: RecordingID) async throws -> [StoredChunk] {
        try await read { db in try RecordingRows.chunks(of: id, in: db) }
    }

    public func unfinishedRecordings(limit: Int) async throws -> [Recording] {
        try await read { db in try RecordingRows.unfinished(limit: limit, in: db) }
    }

    public func recordings(of request: RequestID?, user: Username?, limit: Int) async throws -> [Recording] {
        try await read { db in try RecordingRows.recordings(of: request, user: user, limit: limit, in: db) }
    }
}
