import CountersignCore
import CountersignStore
import Foundation
import GRDB

/// Recordings and their chunks' proofs as rows; what the columns mean, and how they become
/// domain values again, is `StoredRecording`, shared by every backend.
enum RecordingRows {
    static func insert(_ new: NewRecording, in db: Database) throws {
        let stored = StoredRecording(new)
        try db.executeCached(
            sql: "INSERT INTO recordings (\(StoredRecording.columns)) VALUES (\(StoredRecording.placeholders))",
            arguments: StatementArguments(values(of: stored))
        )
    }

    /// What a start or an upload changed: the start report, the progress, the completion.
    static func persistProgress(of recording: Recording, in db: Database) throws {
        let stored = StoredRecording(recording)
        try db.executeCached(
            sql: """
                UPDATE recordings SET started_host = ?, started_command = ?, started_pty = ?, started_at = ?, started_session = ?,
                    next_sequence = ?, byte_count = ?, last_event_time = ?, last_chunk_at = ?, lost_bytes = ?, gaps = ?, exit_status = ?,
                    completed_at = ?
                WHERE id = ?
                """,
            arguments: [
                stored.startedHost, stored.startedCommand, stored.startedPTY, stored.startedAt, stored.startedSession, stored.nextSequence, stored.byteCount,
                stored.lastEventTime, stored.lastChunkAt, stored.lostBytes, stored.gaps, stored.exitStatus, stored.completedAt, stored.id,
            ]
        )
        guard db.changesCount == 1 else { throw StoreError(.notFound, "no recording \(recording.id)") }
    }

    static func insertChunk(_ chunk: RecordingChunk, of id: RecordingID, at now: Date, in db: Database) throws {
        try db.executeCached(
            sql: "INSERT INTO recording_chunks (recording_id, sequence, byte_count, digest, lost_bytes, received_at) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [id.rawValue, chunk.sequence, chunk.byteCount, Data(chunk.digest), chunk.lostBytes, now.millisecondsSinceEpoch]
        )
    }

    static func recording(_ id: RecordingID, in db: Database) throws -> Recording? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(StoredRecording.columns) FROM recordings WHERE id = ?"), arguments: [id.rawValue]).map(decode)
    }

    static func recording(uploadTokenHash: [UInt8], in db: Database) throws -> Recording? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(StoredRecording.columns) FROM recordings WHERE upload_token_hash = ?"), arguments: [Data(uploadTokenHash)]
        ).map(decode)
    }

    /// The recording session `session` opened under the certificate whose own recording is `id`.
    static func recording(of session: RecordingSessionID, under id: RecordingID, in db: Database) throws -> Recording? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(StoredRecording.columns) FROM recordings WHERE certificate_recording_id = ? AND started_session = ?"),
            arguments: [id.rawValue, session.rawValue]
        ).map(decode)
    }

    /// How many later sessions the certificate whose own recording is `id` has opened.
    static func sessionCount(under id: RecordingID, in db: Database) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM recordings WHERE certificate_recording_id = ?"), arguments: [id.rawValue]) ?? 0
    }

    static func recordings(of request: RequestID?, user: Username?, limit: Int, in db: Database) throws -> [Recording] {
        try Row.fetchAll(
            db.cachedStatement(sql: """
                SELECT \(StoredRecording.columns) FROM recordings
                WHERE (?1 IS NULL OR request_id = ?1) AND (?2 IS NULL OR holder = ?2)
                ORDER BY created_at DESC, id DESC LIMIT ?3
                """),
            arguments: [request?.rawValue, user?.rawValue, limit]
        ).map(decode)
    }

    static func unfinished(limit: Int, in db: Database) throws -> [Recording] {
        try Row.fetchAll(
            db.cachedStatement(sql: """
                SELECT \(StoredRecording.columns) FROM recordings
                WHERE gaps > 0 OR (completed_at IS NULL AND (started_at IS NOT NULL OR next_sequence > 0))
                ORDER BY created_at DESC, id DESC LIMIT ?
                """),
            arguments: [limit]
        ).map(decode)
    }

    static func digest(of id: RecordingID, sequence: Int, in db: Database) throws -> [UInt8]? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT digest FROM recording_chunks WHERE recording_id = ? AND sequence = ?"), arguments: [id.rawValue, sequence]
        ).map { row throws(StoreError) in try StoredRow(row: row, table: "recording_chunks", key: id.rawValue).blob("digest") }
    }

    static func chunks(of id: RecordingID, in db: Database) throws -> [StoredChunk] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT sequence, byte_count, digest FROM recording_chunks WHERE recording_id = ? ORDER BY sequence"),
            arguments: [id.rawValue]
        ).map { row throws(StoreError) in
            let stored = StoredRow(row: row, table: "recording_chunks", key: id.rawValue)
            return try StoredChunkRow(sequence: try stored.value("sequence"), byteCount: try stored.value("byte_count"), digest: try stored.blob("digest")).restore(of: id)
        }
    }

    private static func values(of stored: StoredRecording) -> [(any DatabaseValueConvertible)?] {
        [
            stored.id, stored.requestID, stored.serial, stored.holder, stored.host, stored.login, stored.recordsInput, stored.createdAt,
            stored.certificateExpiresAt, Data(stored.uploadTokenHash), stored.startedHost, stored.startedCommand, stored.startedPTY,
            stored.startedAt, stored.nextSequence, stored.byteCount, stored.lastEventTime, stored.lastChunkAt, stored.lostBytes, stored.gaps,
            stored.exitStatus, stored.completedAt, stored.certificateRecordingID, stored.startedSession,
        ]
    }

    private static func decode(_ row: Row) throws(StoreError) -> Recording {
        let stored = StoredRow(row: row, table: "recordings", key: (try? row.decode(String.self, forColumn: "id")) ?? "?")
        return try StoredRecording(
            id: try stored.value("id"), requestID: try stored.value("request_id"), serial: try stored.value("serial"),
            holder: try stored.value("holder"), host: try stored.value("host"), login: try stored.value("login"),
            recordsInput: try stored.value("records_input"), createdAt: try stored.value("created_at"),
            certificateExpiresAt: try stored.value("certificate_expires_at"), startedHost: try stored.value("started_host"),
            startedCommand: try stored.value("started_command"), startedPTY: try stored.value("started_pty"),
            startedAt: try stored.value("started_at"), nextSequence: try stored.value("next_sequence"), byteCount: try stored.value("byte_count"),
            lastEventTime: try stored.value("last_event_time"), lastChunkAt: try stored.value("last_chunk_at"),
            lostBytes: try stored.value("lost_bytes"), gaps: try stored.value("gaps"), exitStatus: try stored.value("exit_status"),
            completedAt: try stored.value("completed_at"), certificateRecordingID: try stored.value("certificate_recording_id"),
            startedSession: try stored.value("started_session")
        ).restore()
    }
}
