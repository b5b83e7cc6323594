import GRDB

extension StoreSchema {
    /// Credentials issued for approved requests, by serial. Append-only: a serial is never reused,
    /// so the next one is the greatest so far plus one, and a revocation list stays true.
    static func addCredentials(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE credentials (
                serial INTEGER PRIMARY KEY CHECK (serial >= 1),
                kind TEXT NOT NULL CHECK (kind IN ('ssh_certificate', 'deploy_token')),
                request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE RESTRICT,
                holder TEXT NOT NULL,
                principal TEXT NOT NULL,
                fingerprint TEXT NOT NULL CHECK (length(fingerprint) = 64),
                issued_at INTEGER NOT NULL,
                valid_after INTEGER NOT NULL,
                valid_before INTEGER NOT NULL CHECK (valid_before > valid_after)
            ) STRICT;
            CREATE INDEX credentials_by_request ON credentials (request_id, serial);
            CREATE TRIGGER credentials_no_update BEFORE UPDATE ON credentials
            BEGIN SELECT RAISE(ABORT, 'credentials is append-only'); END;
            CREATE TRIGGER credentials_no_delete BEFORE DELETE ON credentials
            BEGIN SELECT RAISE(ABORT, 'credentials is append-only'); END;
            """)
    }
}
