extension PostgresSchema {
    /// Requests and their approvals, with the columns, CHECKs and indexes of SQLite's schema. The
    /// target is the canonical JSON text of its fields (`StoredRequest.target`), the very bytes
    /// SQLite keeps; ids sort bytewise (`COLLATE "C"`) so that paging and `requestIDs` walk them
    /// in the order SQLite does, whatever the database's locale.
    static let requests = [
        """
        CREATE TABLE requests (
            id TEXT COLLATE "C" PRIMARY KEY CHECK (length(id) = 20),
            kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 32),
            requester TEXT NOT NULL,
            target TEXT NOT NULL CHECK (jsonb_typeof(target::jsonb) = 'object'),
            reason TEXT NOT NULL,
            ticket TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            content_digest BYTEA NOT NULL CHECK (length(content_digest) = 32),
            rule_name TEXT NOT NULL,
            requirement TEXT NOT NULL CHECK (jsonb_typeof(requirement::jsonb) = 'object'),
            pending_expires_at BIGINT NOT NULL,
            access_duration_seconds BIGINT NOT NULL CHECK (access_duration_seconds > 0),
            state TEXT NOT NULL CHECK (length(state) BETWEEN 1 AND 32),
            updated_at BIGINT NOT NULL,
            access_expires_at BIGINT,
            denied_by TEXT,
            denial_reason TEXT,
            denied_at BIGINT,
            closed_by TEXT,
            close_reason TEXT,
            CHECK ((denied_by IS NULL) = (denial_reason IS NULL) AND (denied_by IS NULL) = (denied_at IS NULL)),
            CHECK (state <> 'approved' OR access_expires_at IS NOT NULL)
        )
        """,
        // Listing is newest first with a (created_at, id) keyset; expiry scans only open requests.
        "CREATE INDEX requests_by_creation ON requests (created_at, id)",
        "CREATE INDEX requests_by_requester ON requests (requester, created_at, id)",
        "CREATE INDEX requests_pending_deadline ON requests (pending_expires_at) WHERE state = 'pending'",
        "CREATE INDEX requests_access_deadline ON requests (access_expires_at) WHERE state = 'approved'",
        // One row per approver (an approver counts once); `position` keeps the order they came in.
        """
        CREATE TABLE approvals (
            request_id TEXT COLLATE "C" NOT NULL REFERENCES requests (id) ON DELETE RESTRICT,
            position BIGINT NOT NULL CHECK (position >= 0),
            approver TEXT NOT NULL,
            approver_groups TEXT NOT NULL CHECK (jsonb_typeof(approver_groups::jsonb) = 'array'),
            approved_at BIGINT NOT NULL,
            method TEXT NOT NULL,
            PRIMARY KEY (request_id, position),
            UNIQUE (request_id, approver)
        )
        """,
        // Search is case-insensitive for ASCII only, as SQLite's LIKE is: ILIKE would also fold
        // other letters by the database's locale, and the two backends would find different rows.
        """
        CREATE FUNCTION ascii_lower(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ SELECT translate($1, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') $$
        """,
        // A real write for /readyz, as on SQLite: a connection that answers is not a database
        // that can still commit.
        """
        CREATE TABLE store_heartbeat (
            id SMALLINT PRIMARY KEY CHECK (id = 1),
            beats BIGINT NOT NULL
        )
        """,
    ]
}
