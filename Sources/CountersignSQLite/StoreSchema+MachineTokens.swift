import GRDB

extension StoreSchema {
    /// Machine tokens for deploy tooling. Only the SHA-256 of a secret is kept, unique, so a
    /// presented token is found by one index probe. The name is the key and a row is never
    /// deleted: a revoked token keeps its name, so a name in the audit trail means one token.
    /// Triggers refuse any edit but a token's one revocation, against a bug or an injected
    /// statement; someone with the file can drop them, which is what the audit chain is for.
    static func addMachineTokens(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE machine_tokens (
                name TEXT PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
                secret_hash BLOB NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
                scopes TEXT NOT NULL CHECK (json_valid(scopes) AND json_type(scopes) = 'array'),
                services TEXT NOT NULL CHECK (json_valid(services) AND json_type(services) = 'array'),
                created_by TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL CHECK (expires_at > created_at),
                revoked_at INTEGER,
                revoked_by TEXT,
                CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
            ) STRICT, WITHOUT ROWID;
            CREATE TRIGGER machine_tokens_no_delete BEFORE DELETE ON machine_tokens
            BEGIN SELECT RAISE(ABORT, 'machine_tokens are never deleted'); END;
            CREATE TRIGGER machine_tokens_revocation_only BEFORE UPDATE ON machine_tokens
            WHEN OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL
                OR NEW.name IS NOT OLD.name OR NEW.secret_hash IS NOT OLD.secret_hash OR NEW.scopes IS NOT OLD.scopes
                OR NEW.services IS NOT OLD.services OR NEW.created_by IS NOT OLD.created_by
                OR NEW.created_at IS NOT OLD.created_at OR NEW.expires_at IS NOT OLD.expires_at
            BEGIN SELECT RAISE(ABORT, 'a machine token changes only by its one revocation'); END;
            """)
    }
}
