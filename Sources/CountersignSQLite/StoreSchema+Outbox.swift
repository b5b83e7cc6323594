import GRDB

extension StoreSchema {
    /// The notification outbox: one row per message and channel, committed with what caused it
    /// and moved by dispatchers. The notice's fields are columns, held to the bounds `Notice`
    /// keeps (lengths in bytes, as the core counts them); the index serves claiming, which reads
    /// the pending rows in the order they fell due. A message is never deleted, keeps what it
    /// says, is settled once (pending → delivered or dead, final after) and never loses an
    /// attempt (triggers refuse the rest, against a bug or an injected statement; someone with
    /// the file can drop them, which is what the audit chain is for).
    static func addOutbox(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE outbox_messages (
                id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 20),
                channel TEXT NOT NULL CHECK (length(channel) BETWEEN 1 AND 63 AND channel GLOB '[a-z0-9]*'
                    AND channel NOT GLOB '*[^a-z0-9-]*'),
                notice_action TEXT NOT NULL CHECK (notice_action IN ('trigger', 'resolve', 'inform')),
                dedup_key TEXT NOT NULL CHECK (length(CAST(dedup_key AS BLOB)) BETWEEN 1 AND 255),
                summary TEXT NOT NULL CHECK (length(CAST(summary AS BLOB)) BETWEEN 1 AND 1024),
                severity TEXT NOT NULL CHECK (severity IN ('critical', 'error', 'warning', 'info')),
                source TEXT NOT NULL,
                component TEXT,
                group_name TEXT,
                event_class TEXT NOT NULL,
                link TEXT,
                details TEXT NOT NULL CHECK (json_valid(details) AND json_type(details) = 'object'),
                notice_time INTEGER NOT NULL,
                created_at INTEGER NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
                delivered_at INTEGER,
                dead_at INTEGER,
                dead_reason TEXT,
                attempts INTEGER NOT NULL CHECK (attempts >= 0),
                next_attempt_at INTEGER NOT NULL,
                claimed_until INTEGER,
                last_error TEXT,
                CHECK ((state = 'delivered') = (delivered_at IS NOT NULL)),
                CHECK ((state = 'dead') = (dead_at IS NOT NULL) AND (dead_at IS NULL) = (dead_reason IS NULL)),
                CHECK (state = 'pending' OR claimed_until IS NULL)
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX outbox_messages_due ON outbox_messages (state, next_attempt_at);
            CREATE INDEX outbox_messages_by_creation ON outbox_messages (created_at, id);
            CREATE INDEX outbox_messages_by_channel ON outbox_messages (channel, created_at, id);
            CREATE TRIGGER outbox_messages_no_delete BEFORE DELETE ON outbox_messages
            BEGIN SELECT RAISE(ABORT, 'outbox messages are never deleted'); END;
            CREATE TRIGGER outbox_messages_forward_only BEFORE UPDATE ON outbox_messages
            WHEN NEW.id IS NOT OLD.id OR NEW.channel IS NOT OLD.channel OR NEW.notice_action IS NOT OLD.notice_action
                OR NEW.dedup_key IS NOT OLD.dedup_key OR NEW.summary IS NOT OLD.summary OR NEW.severity IS NOT OLD.severity
                OR NEW.source IS NOT OLD.source OR NEW.component IS NOT OLD.component OR NEW.group_name IS NOT OLD.group_name
                OR NEW.event_class IS NOT OLD.event_class OR NEW.link IS NOT OLD.link OR NEW.details IS NOT OLD.details
                OR NEW.notice_time IS NOT OLD.notice_time OR NEW.created_at IS NOT OLD.created_at
                OR OLD.state <> 'pending' OR NEW.attempts < OLD.attempts
            BEGIN SELECT RAISE(ABORT, 'an outbox message only moves forward'); END;
            """)
    }
}
