import GRDB

extension StoreSchema {
    /// Session recordings, one per recorded certificate (made in the transaction), and
    /// the proof of each uploaded chunk: its size and SHA-256 (the bytes are files beside the
    /// database). Only the upload token's SHA-256 is kept, unique, so a presented token finds its
    /// recording by one index probe. A chunk row is never changed or deleted; a recording changes
    /// only forward (triggers refuse the rest, against a bug or an injected statement; someone
    /// with the file can drop them, which is what the audit chain is for).
    static func addRecordings(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE recordings (
                id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 20),
                request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE RESTRICT,
                serial INTEGER NOT NULL UNIQUE REFERENCES credentials (serial) ON DELETE RESTRICT,
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
                CHECK ((started_host IS NULL) = (started_at IS NULL) AND (started_pty IS NULL) = (started_at IS NULL)),
                CHECK ((exit_status IS NULL) = (completed_at IS NULL))
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX recordings_by_request ON recordings (request_id, created_at);
            CREATE INDEX recordings_by_holder ON recordings (holder, created_at);
            CREATE TABLE recording_chunks (
                recording_id TEXT NOT NULL REFERENCES recordings (id) ON DELETE RESTRICT,
                sequence INTEGER NOT NULL CHECK (sequence >= 0),
                byte_count INTEGER NOT NULL CHECK (byte_count BETWEEN 0 AND 1048576),
                digest BLOB NOT NULL CHECK (length(digest) = 32),
                lost_bytes INTEGER NOT NULL CHECK (lost_bytes >= 0),
                received_at INTEGER NOT NULL,
                PRIMARY KEY (recording_id, sequence)
            ) STRICT, WITHOUT ROWID;
            CREATE TRIGGER recordings_no_delete BEFORE DELETE ON recordings
            BEGIN SELECT RAISE(ABORT, 'recordings are never deleted'); END;
            CREATE TRIGGER recordings_forward_only BEFORE UPDATE ON recordings
            WHEN NEW.id IS NOT OLD.id OR NEW.request_id IS NOT OLD.request_id OR NEW.serial IS NOT OLD.serial
                OR NEW.holder IS NOT OLD.holder OR NEW.host IS NOT OLD.host OR NEW.login IS NOT OLD.login
                OR NEW.records_input IS NOT OLD.records_input OR NEW.created_at IS NOT OLD.created_at
                OR NEW.certificate_expires_at IS NOT OLD.certificate_expires_at OR NEW.upload_token_hash IS NOT OLD.upload_token_hash
                OR (OLD.started_at IS NOT NULL AND (NEW.started_at IS NOT OLD.started_at OR NEW.started_host IS NOT OLD.started_host
                    OR NEW.started_command IS NOT OLD.started_command OR NEW.started_pty IS NOT OLD.started_pty))
                OR NEW.next_sequence < OLD.next_sequence OR NEW.byte_count < OLD.byte_count OR NEW.lost_bytes < OLD.lost_bytes
                OR NEW.gaps < OLD.gaps OR (OLD.completed_at IS NOT NULL AND (NEW.completed_at IS NOT OLD.completed_at
                    OR NEW.exit_status IS NOT OLD.exit_status OR NEW.next_sequence IS NOT OLD.next_sequence))
            BEGIN SELECT RAISE(ABORT, 'a recording only moves forward'); END;
            CREATE TRIGGER recording_chunks_no_update BEFORE UPDATE ON recording_chunks
            BEGIN SELECT RAISE(ABORT, 'recording_chunks is append-only'); END;
            CREATE TRIGGER recording_chunks_no_delete BEFORE DELETE ON recording_chunks
            BEGIN SELECT RAISE(ABORT, 'recording_chunks is append-only'); END;
            """)
    }
}
