extension PostgresSchema {
    /// The audit stream's cursors, as SQLite's `v14-audit-stream`: the same columns, CHECKs and
    /// triggers (a cursor never moves back, always names a record the log has by its sequence and
    /// hash, and is never deleted nor truncated away).
    static let auditStream = [
        """
        CREATE TABLE audit_stream_cursors (
            sink TEXT COLLATE "C" PRIMARY KEY CHECK (sink ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
            acknowledged BIGINT NOT NULL CHECK (acknowledged >= 0),
            acknowledged_hash BYTEA NOT NULL CHECK (length(acknowledged_hash) = 32),
            holder TEXT CHECK (length(holder) BETWEEN 1 AND 64),
            leased_until BIGINT,
            failures BIGINT NOT NULL CHECK (failures >= 0),
            next_attempt_at BIGINT NOT NULL,
            failing_since BIGINT,
            outage_announced BOOLEAN NOT NULL,
            last_error TEXT,
            CHECK ((holder IS NULL) = (leased_until IS NULL)),
            CHECK (failing_since IS NOT NULL OR (failures = 0 AND NOT outage_announced))
        )
        """,
        """
        CREATE FUNCTION refuse_audit_stream_edit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'audit stream cursors are never deleted'; END IF;
            IF TG_OP = 'UPDATE' AND (NEW.sink IS DISTINCT FROM OLD.sink OR NEW.acknowledged < OLD.acknowledged) THEN
                RAISE EXCEPTION 'an audit stream cursor only moves forward';
            END IF;
            IF (NEW.acknowledged = 0 AND NEW.acknowledged_hash <> '\\x\(String(repeating: "00", count: 32))'::bytea)
                OR (NEW.acknowledged > 0 AND NEW.acknowledged_hash IS DISTINCT FROM
                    (SELECT hash FROM audit_events WHERE sequence = NEW.acknowledged))
            THEN RAISE EXCEPTION 'an audit stream cursor names a record of the log'; END IF;
            RETURN NEW;
        END $$
        """,
        """
        CREATE TRIGGER audit_stream_cursors_forward_only BEFORE INSERT OR UPDATE OR DELETE ON audit_stream_cursors
        FOR EACH ROW EXECUTE FUNCTION refuse_audit_stream_edit()
        """,
        "CREATE TRIGGER audit_stream_cursors_no_truncate BEFORE TRUNCATE ON audit_stream_cursors FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_edit()",
    ]
}
