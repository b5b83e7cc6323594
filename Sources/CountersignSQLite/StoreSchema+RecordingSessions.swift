import GRDB

extension StoreSchema {
    /// One recording per session rather than per certificate: a certificate's later sessions get
    /// recordings of their own, naming the certificate's (`certificate_recording_id`), so the
    /// serial is unique only among the certificates' own recordings; each start keeps the
    /// session that made it. SQLite cannot drop a UNIQUE constraint, so the table is rebuilt (the
    /// documented way, with foreign keys off during the migration: GRDB defers their check to its
    /// end), and its triggers with it, now also refusing a last event time that goes back and
    /// growth after the final chunk.
    static func addRecordingSessions(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE recordings_next (
                id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 20),
                request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE RESTRICT,
                serial INTEGER NOT NULL REFERENCES credentials (serial) ON DELETE RESTRICT,
                holder TEXT NOT NULL,
                host TEXT NOT NULL,
                login TEXT NOT NULL,
                records_input INTEGER NOT NULL CHECK (records_input IN (0, 1)),
                created_at INTEGER NOT NULL,
                certificate_expires_at INTEGER NOT NULL,
                upload_token_hash BLOB NOT NULL UNIQUE CHECK (length(upload_token_hash) = 32),
                started_host TEXT,
                started_command TEXT,
                started_pty INTEGER CHECK (started_pty IN (0, 1)),
                started_at INTEGER,
                next_sequence INTEGER NOT NULL DEFAULT 0 CHECK (next_sequence >= 0),
                byte_count INTEGER NOT NULL DEFAULT 0 CHECK (byte_count >= 0),
                last_event_time INTEGER NOT NULL DEFAULT 0 CHECK (last_event_time >= 0),
                last_chunk_at INTEGER,
                lost_bytes INTEGER NOT NULL DEFAULT 0 CHECK (lost_bytes >= 0),
                gaps INTEGER NOT NULL DEFAULT 0 CHECK (gaps >= 0),
                exit_status INTEGER CHECK (exit_status BETWEEN 0 AND 255),
                completed_at INTEGER,
                certificate_recording_id TEXT REFERENCES recordings (id) ON DELETE RESTRICT CHECK (length(certificate_recording_id) = 20),
                started_session TEXT CHECK (length(started_session) = 32),
                CHECK ((started_host IS NULL) = (started_at IS NULL) AND (started_pty IS NULL) = (started_at IS NULL)),
                CHECK ((exit_status IS NULL) = (completed_at IS NULL)),
                CHECK (started_session IS NULL OR started_at IS NOT NULL),
                CHECK (certificate_recording_id IS NULL OR started_session IS NOT NULL)
            ) STRICT, WITHOUT ROWID;
            INSERT INTO recordings_next (
                id, request_id, serial, holder, host, login, records_input, created_at, certificate_expires_at, upload_token_hash,
                started_host, started_command, started_pty, started_at, next_sequence, byte_count, last_event_time, last_chunk_at,
                lost_bytes, gaps, exit_status, completed_at)
            SELECT id, request_id, serial, holder, host, login, records_input, created_at, certificate_expires_at, upload_token_hash,
                started_host, started_command, started_pty, started_at, next_sequence, byte_count, last_event_time, last_chunk_at,
                lost_bytes, gaps, exit_status, completed_at
            FROM recordings;
            DROP TABLE recordings;
            ALTER TABLE recordings_next RENAME TO recordings;
            CREATE INDEX recordings_by_request ON recordings (request_id, created_at);
            CREATE INDEX recordings_by_holder ON recordings (holder, created_at);
            CREATE UNIQUE INDEX recordings_of_certificates ON recordings (serial) WHERE certificate_recording_id IS NULL;
            CREATE UNIQUE INDEX recordings_of_sessions ON recordings (certificate_recording_id, started_session)
                WHERE certificate_recording_id IS NOT NULL;
            CREATE TRIGGER recordings_no_delete BEFORE DELETE ON recordings
            BEGIN SELECT RAISE(ABORT, 'recordings are never deleted'); END;
            CREATE TRIGGER recordings_forward_only BEFORE UPDATE ON recordings
            WHEN NEW.id IS NOT OLD.id OR NEW.request_id IS NOT OLD.request_id OR NEW.serial IS NOT OLD.serial
                OR NEW.holder IS NOT OLD.holder OR NEW.host IS NOT OLD.host OR NEW.login IS NOT OLD.login
                OR NEW.records_input IS NOT OLD.records_input OR NEW.created_at IS NOT OLD.created_at
                OR NEW.certificate_expires_at IS NOT OLD.certificate_expires_at OR NEW.upload_token_hash IS NOT OLD.upload_token_hash
                OR NEW.certificate_recording_id IS NOT OLD.certificate_recording_id
                OR (OLD.started_at IS NOT NULL AND (NEW.started_at IS NOT OLD.started_at OR NEW.started_host IS NOT OLD.started_host
                    OR NEW.started_command IS NOT OLD.started_command OR NEW.started_pty IS NOT OLD.started_pty
                    OR NEW.started_session IS NOT OLD.started_session))
                OR NEW.next_sequence < OLD.next_sequence OR NEW.byte_count < OLD.byte_count OR NEW.lost_bytes < OLD.lost_bytes
                OR NEW.gaps < OLD.gaps OR NEW.last_event_time < OLD.last_event_time
                OR (OLD.completed_at IS NOT NULL AND (NEW.completed_at IS NOT OLD.completed_at
                    OR NEW.exit_status IS NOT OLD.exit_status OR NEW.next_sequence IS NOT OLD.next_sequence
                    OR NEW.byte_count IS NOT OLD.byte_count OR NEW.lost_bytes IS NOT OLD.lost_bytes OR NEW.gaps IS NOT OLD.gaps
                    OR NEW.last_event_time IS NOT OLD.last_event_time OR NEW.last_chunk_at IS NOT OLD.last_chunk_at))
            BEGIN SELECT RAISE(ABORT, 'a recording only moves forward'); END;
            """)
    }
}
