import CountersignCore
import CountersignStore
import Foundation
import Logging
import PostgresNIO

/// Recordings and their chunks' proofs as rows; what the columns mean, and how they become
/// domain values again, is `StoredRecording`, shared with SQLite. A start or an upload reads the
/// recording FOR UPDATE, so two gateways judging the same chunk at once take turns: the second
/// sees what the first stored.
enum RecordingRows {
    static func insert(_ new: NewRecording, on connection: PostgresConnection, logger: Logger) async throws {
        let stored = StoredRecording(new)
        try await connection.query("""
            INSERT INTO recordings (\(unescaped: StoredRecording.columns))
            VALUES (\(stored.id), \(stored.requestID), \(stored.serial), \(stored.holder), \(stored.host), \(stored.login),
                \(stored.recordsInput), \(stored.createdAt), \(stored.certificateExpiresAt), \(Data(stored.uploadTokenHash)),
                \(stored.startedHost), \(stored.startedCommand), \(stored.startedPTY), \(stored.startedAt), \(stored.nextSequence),
                \(stored.byteCount), \(stored.lastEventTime), \(stored.lastChunkAt), \(stored.lostBytes), \(stored.gaps),
                \(stored.exitStatus), \(stored.completedAt), \(stored.certificateRecordingID), \(stored.startedSession))
            """, logger: logger)
    }

    /// What a start or an upload changed: the start report, the progress, the completion.
    static func persistProgress(of recording: Recording, on connection: PostgresConnection, logger: Logger) async throws {
        let stored = StoredRecording(recording)
        let updated = try await PostgresStore.count(connection.query("""
            UPDATE recordings SET started_host = \(stored.startedHost), started_command = \(stored.startedCommand),
                started_pty = \(stored.startedPTY), started_at = \(stored.startedAt), started_session = \(stored.startedSession),
                next_sequence = \(stored.nextSequence),
                byte_count = \(stored.byteCount), last_event_time = \(stored.lastEventTime), last_chunk_at = \(stored.lastChunkAt),
                lost_bytes = \(stored.lostBytes), gaps = \(stored.gaps), exit_status = \(stored.exitStatus), completed_at = \(stored.completedAt)
            WHERE id = \(stored.id) RETURNING 1
            """, logger: logger))
        guard updated == 1 else { throw StoreError(.notFound, "no recording \(recording.id)") }
    }

    static func insertChunk(_ chunk: RecordingChunk, of id: RecordingID, at now: Date, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO recording_chunks (recording_id, sequence, byte_count, digest, lost_bytes, received_at)
            VALUES (\(id.rawValue), \(Int64(chunk.sequence)), \(Int64(chunk.byteCount)), \(Data(chunk.digest)), \(Int64(chunk.lostBytes)),
                \(now.millisecondsSinceEpoch))
            """, logger: logger)
    }

    /// The recording, locked until the transaction ends when `forUpdate`.
    static func recording(_ id: RecordingID, forUpdate: Bool, on connection: PostgresConnection, logger: Logger) async throws -> Recording? {
        let query: PostgresQuery = forUpdate
            ? "SELECT \(unescaped: StoredRecording.columns) FROM recordings WHERE id = \(id.rawValue) FOR UPDATE"
            : "SELECT \(unescaped: StoredRecording.columns) FROM recordings WHERE id = \(id.rawValue)"
        return try await fetch(query, on: connection, logger: logger).first
    }

    /// The recording session `session` opened under the certificate whose own recording is `id`.
    static func recording(of session: RecordingSessionID, under id: RecordingID, on connection: PostgresConnection, logger: Logger) async throws -> Recording? {
        try await fetch(
            "SELECT \(unescaped: StoredRecording.columns) FROM recordings WHERE certificate_recording_id = \(id.rawValue) AND started_session = \(session.rawValue)",
            on: connection, logger: logger
        ).first
    }

    /// How many later sessions the certificate whose own recording is `id` has opened.
    static func sessionCount(under id: RecordingID, on connection: PostgresConnection, logger: Logger) async throws -> Int {
        for try await count in try await connection.query("SELECT count(*) FROM recordings WHERE certificate_recording_id = \(id.rawValue)", logger: logger).decode(Int64.self) {
            return Int(clamping: count)
        }
        return 0
    }

    static func recording(uploadTokenHash: [UInt8], on connection: PostgresConnection, logger: Logger) async throws -> Recording? {
        try await fetch(
            "SELECT \(unescaped: StoredRecording.columns) FROM recordings WHERE upload_token_hash = \(Data(uploadTokenHash))",
            on: connection, logger: logger
        ).first
    }

    /// Newest first, ties by id bytewise, as on SQLite. The casts type a filter that is absent
    /// (bound as NULL) for the server.
    static func recordings(of request: RequestID?, user: Username?, limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> [Recording] {
        try await fetch("""
            SELECT \(unescaped: StoredRecording.columns) FROM recordings
            WHERE (\(request?.rawValue)::text IS NULL OR request_id = \(request?.rawValue)::text)
                AND (\(user?.rawValue)::text IS NULL OR holder = \(user?.rawValue)::text)
            ORDER BY created_at DESC, id DESC LIMIT \(Int64(limit))
            """, on: connection, logger: logger)
    }

    static func unfinished(limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> [Recording] {
        try await fetch("""
            SELECT \(unescaped: StoredRecording.columns) FROM recordings
            WHERE gaps > 0 OR (completed_at IS NULL AND (started_at IS NOT NULL OR next_sequence > 0))
            ORDER BY created_at DESC, id DESC LIMIT \(Int64(limit))
            """, on: connection, logger: logger)
    }

    static func digest(of id: RecordingID, sequence: Int, on connection: PostgresConnection, logger: Logger) async throws -> [UInt8]? {
        for try await row in try await connection.query(
            "SELECT digest FROM recording_chunks WHERE recording_id = \(id.rawValue) AND sequence = \(Int64(sequence))", logger: logger
        ) {
            return try StoredPostgresCells(row, table: "recording_chunks") { _ in "\(id.rawValue)/\(sequence)" }.bytes(at: 0, "digest")
        }
        return nil
    }

    static func chunks(of id: RecordingID, on connection: PostgresConnection, logger: Logger) async throws -> [StoredChunk] {
        var chunks: [StoredChunk] = []
        for try await row in try await connection.query(
            "SELECT sequence, byte_count, digest FROM recording_chunks WHERE recording_id = \(id.rawValue) ORDER BY sequence", logger: logger
        ) {
            let stored = StoredPostgresCells(row, table: "recording_chunks") { "\(id.rawValue)/\(StoredPostgresCells.number(at: 0, of: $0))" }
            chunks.append(try StoredChunkRow(
                sequence: try stored.value(at: 0, "sequence"), byteCount: try stored.value(at: 1, "byte_count"), digest: try stored.bytes(at: 2, "digest")
            ).restore(of: id))
        }
        return chunks
    }

    /// Recordings selected by `query`, which must select `StoredRecording.columns` in their
    /// order: read by position, the upload token's hash (9) left unread.
    private static func fetch(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [Recording] {
        var recordings: [Recording] = []
        for try await row in try await connection.query(query, logger: logger) {
            let stored = StoredPostgresCells(row, table: "recordings") { StoredPostgresCells.text(at: 0, of: $0) }
            recordings.append(try StoredRecording(
                id: try stored.value(at: 0, "id"), requestID: try stored.value(at: 1, "request_id"), serial: try stored.value(at: 2, "serial"),
                holder: try stored.value(at: 3, "holder"), host: try stored.value(at: 4, "host"), login: try stored.value(at: 5, "login"),
                recordsInput: try stored.value(at: 6, "records_input"), createdAt: try stored.value(at: 7, "created_at"),
                certificateExpiresAt: try stored.value(at: 8, "certificate_expires_at"), startedHost: try stored.value(at: 10, "started_host"),
                startedCommand: try stored.value(at: 11, "started_command"), startedPTY: try stored.value(at: 12, "started_pty"),
                startedAt: try stored.value(at: 13, "started_at"), nextSequence: try stored.value(at: 14, "next_sequence"),
                byteCount: try stored.value(at: 15, "byte_count"), lastEventTime: try stored.value(at: 16, "last_event_time"),
                lastChunkAt: try stored.value(at: 17, "last_chunk_at"), lostBytes: try stored.value(at: 18, "lost_bytes"),
                gaps: try stored.value(at: 19, "gaps"), exitStatus: try stored.value(at: 20, "exit_status"),
                completedAt: try stored.value(at: 21, "completed_at"), certificateRecordingID: try stored.value(at: 22, "certificate_recording_id"),
                startedSession: try stored.value(at: 23, "started_session")
            ).restore())
        }
        return recordings
    }
}
