extension PostgresSchema {
    /// The notification outbox, with the columns, CHECKs, indexes and trigger of SQLite's
    /// `v12-outbox`: a message is never deleted (nor truncated away), keeps what it says, is
    /// settled once (pending → delivered or dead, final after) and never loses an attempt. The
    /// claiming index serves `FOR UPDATE SKIP LOCKED` over the pending rows in the order they
    /// fell due. Ids sort bytewise, as the requests' do.
    static let outbox = [
        """
        CREATE TABLE outbox_messages (
            id TEXT COLLATE "C" PRIMARY KEY CHECK (length(id) = 20),
            channel TEXT COLLATE "C" NOT NULL CHECK (channel ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
            notice_action TEXT NOT NULL CHECK (notice_action IN ('trigger', 'resolve', 'inform')),
            dedup_key TEXT NOT NULL CHECK (octet_length(dedup_key) BETWEEN 1 AND 255),
            summary TEXT NOT NULL CHECK (octet_length(summary) BETWEEN 1 AND 1024),
            severity TEXT NOT NULL CHECK (severity IN ('critical', 'error', 'warning', 'info')),
            source TEXT NOT NULL,
            component TEXT,
            group_name TEXT,
            event_class TEXT NOT NULL,
            link TEXT,
            details TEXT NOT NULL CHECK (json_typeof(details::json) = 'object'),
            notice_time BIGINT NOT NULL,
            created_at BIGINT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
            delivered_at BIGINT,
            dead_at BIGINT,
            dead_reason TEXT,
            attempts BIGINT NOT NULL CHECK (attempts >= 0),
            next_attempt_at BIGINT NOT NULL,
            claimed_until BIGINT,
            last_error TEXT,
            CHECK ((state = 'delivered') = (delivered_at IS NOT NULL)),
            CHECK ((state = 'dead') = (dead_at IS NOT NULL) AND (dead_at IS NULL) = (dead_reason IS NULL)),
            CHECK (state = 'pending' OR claimed_until IS NULL)
        )
        """,
        "CREATE INDEX outbox_messages_due ON outbox_messages (state, next_attempt_at)",
        "CREATE INDEX outbox_messages_by_creation ON outbox_messages (created_at, id)",
        "CREATE INDEX outbox_messages_by_channel ON outbox_messages (channel, created_at, id)",
        // SQLite's `outbox_messages_forward_only` condition, `IS NOT` spelled `IS DISTINCT FROM`.
        """
        CREATE FUNCTION refuse_outbox_edit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'outbox messages are never deleted'; END IF;
            IF (NEW.id, NEW.channel, NEW.notice_action, NEW.dedup_key, NEW.summary, NEW.severity, NEW.source, NEW.component,
                    NEW.group_name, NEW.event_class, NEW.link, NEW.details, NEW.notice_time, NEW.created_at)
                IS DISTINCT FROM (OLD.id, OLD.channel, OLD.notice_action, OLD.dedup_key, OLD.summary, OLD.severity, OLD.source, OLD.component,
                    OLD.group_name, OLD.event_class, OLD.link, OLD.details, OLD.notice_time, OLD.created_at)
                OR OLD.state <> 'pending' OR NEW.attempts < OLD.attempts
            THEN RAISE EXCEPTION 'an outbox message only moves forward'; END IF;
            RETURN NEW;
        END $$
        """,
        """
        CREATE TRIGGER outbox_messages_forward_only BEFORE UPDATE OR DELETE ON outbox_messages
        FOR EACH ROW EXECUTE FUNCTION refuse_outbox_edit()
        """,
        // TRUNCATE fires no row trigger: without this, one statement would empty the outbox.
        "CREATE TRIGGER outbox_messages_no_truncate BEFORE TRUNCATE ON outbox_messages FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_edit()",
    ]
}
