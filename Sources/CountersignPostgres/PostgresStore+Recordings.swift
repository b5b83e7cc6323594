import CountersignCore
import CountersignStore
import Foundation
import PostgresNIO

extension PostgresStore: RecordingStore {
    public func recording(_ id: RecordingID) async throws -> Recording? {
        try await read { connection in try await RecordingRows.recording(id, forUpdate: false, on: connection, logger: logger) }
    }

    public func recording(uploadTokenHash: [UInt8]) async throws -> Recording? {
        try await read { connection in try await RecordingRows.recording(uploadTokenHash: uploadTokenHash, on: connection, logger: logger) }
    }

    public func startSession(
        _ session: RecordingSessionID, on id: RecordingID,
        decide: @Sendable (Recording, Recording?, Int) throws -> RecordingRules.SessionStart
    ) async throws -> Recording {
        let (decision, appended) = try await transaction { connection -> (RecordingRules.SessionStart, Int) in
            // The certificate's own recording is locked first: two gateways starting sessions
            // under one certificate take turns, and the second sees the first's session.
            guard let certificate = try await RecordingRows.recording(id, forUpdate: true, on: connection, logger: logger) else {
                throw StoreError(.notFound, "no recording \(id)")
            }
            let existing = try await RecordingRows.recording(of: session, under: id, on: connection, logger: logger)
            let decision = try decide(certificate, existing, try await RecordingRows.sessionCount(under: id, on: connection, logger: logger))
            switch decision {
            case .resumed(let recording):
                guard recording.id == id || recording.id == existing?.id else {
                    throw StoreError(.invalidChange, "a start under recording \(id) resumed recording \(recording.id)")
                }
                return (decision, 0)
            case .started(let started, let events):
                guard started.id == id else { throw StoreError(.invalidChange, "a start of recording \(id) returned recording \(started.id)") }
                try await RecordingRows.persistProgress(of: started, on: connection, logger: logger)
                return (decision, try await append(events, on: connection).count)
            case .opened(let new, let events):
                guard new.recording.certificateRecording == id, new.recording.start?.session == session else {
                    throw StoreError(.invalidChange, "a session opened under recording \(id) must name it and the session")
                }
                try await RecordingRows.insert(new, on: connection, logger: logger)
                return (decision, try await append(events, on: connection).count)
            }
        }
        auditTally.add(appended)
        return decision.recording
    }

    public func appendChunk(
        _ chunk: RecordingChunk, to id: RecordingID,
        decide: @Sendable (Recording, [UInt8]?) throws -> RecordingRules.Outcome, keepBytes: @Sendable () throws -> Void
    ) async throws -> RecordingRules.Outcome {
        let (outcome, appended) = try await transaction { connection -> (RecordingRules.Outcome, Int) in
            // The lock comes first and the digest is read after it: a gateway that waited here
            // sees the chunk the other one stored, and judges a retry or a conflict.
            guard let current = try await RecordingRows.recording(id, forUpdate: true, on: connection, logger: logger) else {
                throw StoreError(.notFound, "no recording \(id)")
            }
            let storedDigest = try await RecordingRows.digest(of: id, sequence: chunk.sequence, on: connection, logger: logger)
            let outcome = try decide(current, storedDigest)
            guard case .extended(let extended, let events) = outcome else { return (outcome, 0) }
            guard extended.id == id, extended.progress.nextSequence == chunk.sequence + 1, let receivedAt = extended.progress.lastChunkAt else {
                throw StoreError(.invalidChange, "an upload to recording \(id) must store chunk \(chunk.sequence) and no other")
            }
            // The bytes are in place before anything says they are; if the commit then fails,
            // they lie under a number the recording does not count yet, and the retry replaces them.
            try keep(keepBytes, chunk: chunk.sequence, of: id)
            try await RecordingRows.insertChunk(chunk, of: id, at: receivedAt, on: connection, logger: logger)
            try await RecordingRows.persistProgress(of: extended, on: connection, logger: logger)
            return (outcome, try await append(events, on: connection).count)
        }
        auditTally.add(appended)
        return outcome
    }

    public func chunks(of id: RecordingID) async throws -> [StoredChunk] {
        try await read { connection in try await RecordingRows.chunks(of: id, on: connection, logger: logger) }
    }

    public func unfinishedRecordings(limit: Int) async throws -> [Recording] {
        try await read { connection in try await RecordingRows.unfinished(limit: limit, on: connection, logger: logger) }
    }

    public func recordings(of request: RequestID?, user: Username?, limit: Int) async throws -> [Recording] {
        try await read { connection in try await RecordingRows.recordings(of: request, user: user, limit: limit, on: connection, logger: logger) }
    }

    /// Runs `keepBytes`; its failure is the store's, named as such (not as the database's, which
    /// is what translating an unknown error would say).
    private func keep(_ keepBytes: () throws -> Void, chunk sequence: Int, of id: RecordingID) throws {
        do {
            try keepBytes()
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.storageFailure, "the bytes of chunk \(sequence) of recording \(id) could not be kept (\(type(of: error)))")
        }
    }
}
