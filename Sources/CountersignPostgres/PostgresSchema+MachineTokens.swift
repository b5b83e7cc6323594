extension PostgresSchema {
    /// Machine tokens, as on SQLite: found by the unique SHA-256 of their secret, never deleted
    /// (a name means one token forever), changed only by their one revocation.
    static let machineTokens = [
        """
        CREATE TABLE machine_tokens (
            name TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64),
            secret_hash BYTEA NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
            scopes TEXT NOT NULL CHECK (json_typeof(scopes::json) = 'array'),
            services TEXT NOT NULL CHECK (json_typeof(services::json) = 'array'),
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL CHECK (expires_at > created_at),
            revoked_at BIGINT,
            revoked_by TEXT,
            CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
        )
        """,
        """
        CREATE FUNCTION refuse_machine_token_edit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'machine_tokens are never deleted'; END IF;
            IF OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL
                OR (NEW.name, NEW.secret_hash, NEW.scopes, NEW.services, NEW.created_by, NEW.created_at, NEW.expires_at)
                    IS DISTINCT FROM (OLD.name, OLD.secret_hash, OLD.scopes, OLD.services, OLD.created_by, OLD.created_at, OLD.expires_at)
            THEN RAISE EXCEPTION 'a machine token changes only by its one revocation'; END IF;
            RETURN NEW;
        END $$
        """,
        """
        CREATE TRIGGER machine_tokens_revocation_only BEFORE UPDATE OR DELETE ON machine_tokens
        FOR EACH ROW EXECUTE FUNCTION refuse_machine_token_edit()
        """,
    ]
}
