extension PostgresSchema {
    /// One recording per session rather than per certificate, as SQLite's `v11-recording-sessions`:
    /// a certificate's later sessions get recordings of their own naming the certificate's, the
    /// serial is unique only among the certificates' own recordings, each start keeps its session,
    /// and the trigger now also refuses a last event time that goes back and growth after the
    /// final chunk.
    static let recordingSessions = [
        "ALTER TABLE recordings DROP CONSTRAINT recordings_serial_key",
        """
        ALTER TABLE recordings
            ADD COLUMN certificate_recording_id TEXT COLLATE "C" REFERENCES recordings (id) ON DELETE RESTRICT
                CHECK (length(certificate_recording_id) = 20),
            ADD COLUMN started_session TEXT CHECK (length(started_session) = 32),
            ADD CHECK (started_session IS NULL OR started_at IS NOT NULL),
            ADD CHECK (certificate_recording_id IS NULL OR started_session IS NOT NULL)
        """,
        "CREATE UNIQUE INDEX recordings_of_certificates ON recordings (serial) WHERE certificate_recording_id IS NULL",
        """
        CREATE UNIQUE INDEX recordings_of_sessions ON recordings (certificate_recording_id, started_session)
            WHERE certificate_recording_id IS NOT NULL
        """,
        """
        CREATE OR REPLACE FUNCTION refuse_recording_edit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'recordings are never deleted'; END IF;
            IF (NEW.id, NEW.request_id, NEW.serial, NEW.holder, NEW.host, NEW.login, NEW.records_input, NEW.created_at,
                    NEW.certificate_expires_at, NEW.upload_token_hash, NEW.certificate_recording_id)
                IS DISTINCT FROM (OLD.id, OLD.request_id, OLD.serial, OLD.holder, OLD.host, OLD.login, OLD.records_input, OLD.created_at,
                    OLD.certificate_expires_at, OLD.upload_token_hash, OLD.certificate_recording_id)
                OR (OLD.started_at IS NOT NULL AND (NEW.started_at, NEW.started_host, NEW.started_command, NEW.started_pty, NEW.started_session)
                    IS DISTINCT FROM (OLD.started_at, OLD.started_host, OLD.started_command, OLD.started_pty, OLD.started_session))
                OR NEW.next_sequence < OLD.next_sequence OR NEW.byte_count < OLD.byte_count OR NEW.lost_bytes < OLD.lost_bytes
                OR NEW.gaps < OLD.gaps OR NEW.last_event_time < OLD.last_event_time
                OR (OLD.completed_at IS NOT NULL AND (NEW.completed_at, NEW.exit_status, NEW.next_sequence, NEW.byte_count,
                        NEW.lost_bytes, NEW.gaps, NEW.last_event_time, NEW.last_chunk_at)
                    IS DISTINCT FROM (OLD.completed_at, OLD.exit_status, OLD.next_sequence, OLD.byte_count,
                        OLD.lost_bytes, OLD.gaps, OLD.last_event_time, OLD.last_chunk_at))
            THEN RAISE EXCEPTION 'a recording only moves forward'; END IF;
            RETURN NEW;
        END $$
        """,
    ]
}
