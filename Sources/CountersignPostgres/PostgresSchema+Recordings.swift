extension PostgresSchema {
    /// Session recordings and the proof of each uploaded chunk (its size and SHA-256; the bytes
    /// are files beside the database), with the columns, CHECKs, indexes and triggers of SQLite's
    /// schema. Only the upload token's SHA-256 is kept, unique, so a presented token finds its
    /// recording by one index probe. A chunk row is never changed or deleted; a recording changes
    /// only forward (against a bug or an injected statement; a superuser can drop the triggers,
    /// which is what the audit chain is for). Ids sort bytewise, as the requests' do.
    static let recordings = [
        """
        CREATE TABLE recordings (
            id TEXT COLLATE "C" PRIMARY KEY CHECK (length(id) = 20),
            request_id TEXT COLLATE "C" NOT NULL REFERENCES requests (id) ON DELETE RESTRICT,
            serial BIGINT NOT NULL UNIQUE REFERENCES credentials (serial) ON DELETE RESTRICT,
            holder TEXT NOT NULL,
            host TEXT NOT NULL,
            login TEXT NOT NULL,
            records_input BOOLEAN NOT NULL,
            created_at BIGINT NOT NULL,
            certificate_expires_at BIGINT NOT NULL,
            upload_token_hash BYTEA NOT NULL UNIQUE CHECK (length(upload_token_hash) = 32),
            started_host TEXT,
            started_command TEXT,
            started_pty BOOLEAN,
            started_at BIGINT,
            next_sequence BIGINT NOT NULL DEFAULT 0 CHECK (next_sequence >= 0),
            byte_count BIGINT NOT NULL DEFAULT 0 CHECK (byte_count >= 0),
            last_event_time BIGINT NOT NULL DEFAULT 0 CHECK (last_event_time >= 0),
            last_chunk_at BIGINT,
            lost_bytes BIGINT NOT NULL DEFAULT 0 CHECK (lost_bytes >= 0),
            gaps BIGINT NOT NULL DEFAULT 0 CHECK (gaps >= 0),
            exit_status BIGINT CHECK (exit_status BETWEEN 0 AND 255),
            completed_at BIGINT,
            CHECK ((started_host IS NULL) = (started_at IS NULL) AND (started_pty IS NULL) = (started_at IS NULL)),
            CHECK ((exit_status IS NULL) = (completed_at IS NULL))
        )
        """,
        "CREATE INDEX recordings_by_request ON recordings (request_id, created_at)",
        "CREATE INDEX recordings_by_holder ON recordings (holder, created_at)",
        """
        CREATE TABLE recording_chunks (
            recording_id TEXT COLLATE "C" NOT NULL REFERENCES recordings (id) ON DELETE RESTRICT,
            sequence BIGINT NOT NULL CHECK (sequence >= 0),
            byte_count BIGINT NOT NULL CHECK (byte_count BETWEEN 0 AND 1048576),
            digest BYTEA NOT NULL CHECK (length(digest) = 32),
            lost_bytes BIGINT NOT NULL CHECK (lost_bytes >= 0),
            received_at BIGINT NOT NULL,
            PRIMARY KEY (recording_id, sequence)
        )
        """,
        // SQLite's `recordings_forward_only` condition, `IS NOT` spelled `IS DISTINCT FROM`.
        """
        CREATE FUNCTION refuse_recording_edit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'recordings are never deleted'; END IF;
            IF (NEW.id, NEW.request_id, NEW.serial, NEW.holder, NEW.host, NEW.login, NEW.records_input, NEW.created_at,
                    NEW.certificate_expires_at, NEW.upload_token_hash)
                IS DISTINCT FROM (OLD.id, OLD.request_id, OLD.serial, OLD.holder, OLD.host, OLD.login, OLD.records_input, OLD.created_at,
                    OLD.certificate_expires_at, OLD.upload_token_hash)
                OR (OLD.started_at IS NOT NULL AND (NEW.started_at, NEW.started_host, NEW.started_command, NEW.started_pty)
                    IS DISTINCT FROM (OLD.started_at, OLD.started_host, OLD.started_command, OLD.started_pty))
                OR NEW.next_sequence < OLD.next_sequence OR NEW.byte_count < OLD.byte_count OR NEW.lost_bytes < OLD.lost_bytes
                OR NEW.gaps < OLD.gaps
                OR (OLD.completed_at IS NOT NULL AND (NEW.completed_at, NEW.exit_status, NEW.next_sequence)
                    IS DISTINCT FROM (OLD.completed_at, OLD.exit_status, OLD.next_sequence))
            THEN RAISE EXCEPTION 'a recording only moves forward'; END IF;
            RETURN NEW;
        END $$
        """,
        """
        CREATE TRIGGER recordings_forward_only BEFORE UPDATE OR DELETE ON recordings
        FOR EACH ROW EXECUTE FUNCTION refuse_recording_edit()
        """,
        "CREATE TRIGGER recording_chunks_append_only BEFORE UPDATE OR DELETE ON recording_chunks FOR EACH ROW EXECUTE FUNCTION refuse_audit_edit()",
    ]
}
