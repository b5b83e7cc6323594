import GRDB

extension StoreSchema {
    /// One cursor per audit stream sink: the last sequence its receiver acknowledged with that
    /// record's hash, the lease of the gateway streaming it, and its outage's progress. A cursor
    /// never moves back (a receiver would see an older sequence after a newer one) and always
    /// names a record the log has, by its sequence and hash (triggers refuse the rest, against a
    /// bug or an injected statement; a cursor moved forward by hand would skip events, which the
    /// receiver's own continuity check sees).
    static func addAuditStream(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE audit_stream_cursors (
                sink TEXT PRIMARY KEY NOT NULL CHECK (length(sink) BETWEEN 1 AND 63 AND sink GLOB '[a-z0-9]*'
                    AND sink NOT GLOB '*[^a-z0-9-]*'),
                acknowledged INTEGER NOT NULL CHECK (acknowledged >= 0),
                acknowledged_hash BLOB NOT NULL CHECK (length(acknowledged_hash) = 32),
                holder TEXT CHECK (length(holder) BETWEEN 1 AND 64),
                leased_until INTEGER,
                failures INTEGER NOT NULL CHECK (failures >= 0),
                next_attempt_at INTEGER NOT NULL,
                failing_since INTEGER,
                outage_announced INTEGER NOT NULL CHECK (outage_announced IN (0, 1)),
                last_error TEXT,
                CHECK ((holder IS NULL) = (leased_until IS NULL)),
                CHECK (failing_since IS NOT NULL OR (failures = 0 AND outage_announced = 0))
            ) STRICT, WITHOUT ROWID;
            CREATE TRIGGER audit_stream_cursors_no_delete BEFORE DELETE ON audit_stream_cursors
            BEGIN SELECT RAISE(ABORT, 'audit stream cursors are never deleted'); END;
            CREATE TRIGGER audit_stream_cursors_known_record BEFORE INSERT ON audit_stream_cursors
            WHEN NEW.acknowledged = 0 AND NEW.acknowledged_hash IS NOT zeroblob(32)
                OR NEW.acknowledged > 0 AND NEW.acknowledged_hash IS NOT (SELECT hash FROM audit_events WHERE sequence = NEW.acknowledged)
            BEGIN SELECT RAISE(ABORT, 'an audit stream cursor names a record of the log'); END;
            CREATE TRIGGER audit_stream_cursors_forward_only BEFORE UPDATE ON audit_stream_cursors
            WHEN NEW.sink IS NOT OLD.sink OR NEW.acknowledged < OLD.acknowledged
                OR NEW.acknowledged > 0 AND NEW.acknowledged_hash IS NOT (SELECT hash FROM audit_events WHERE sequence = NEW.acknowledged)
                OR NEW.acknowledged = 0 AND NEW.acknowledged_hash IS NOT zeroblob(32)
            BEGIN SELECT RAISE(ABORT, 'an audit stream cursor only moves forward, to a record of the log'); END;
            """)
    }
}
