import CountersignStore
import Logging
import PostgresNIO

/// The versioned schema of a Countersign database on PostgreSQL. Each migration is applied once,
/// in order, in its own transaction, under an advisory lock so that gateways starting together
/// migrate once; a release adds migrations and never edits a shipped one.
enum PostgresSchema {
    /// The advisory lock key that serialises migrations ("CSGN").
    static let migrationLock: Int64 = 0x4353_474E

    static let migrations: [(id: String, statements: [String])] = [
        ("v1-audit", auditLog),
        ("v2-sessions", sessions),
        ("v3-requests", requests),
        ("v4-hardware-keys", hardwareKeys),
        ("v5-attempts", attempts),
        ("v6-credentials", credentials),
        ("v8-certificate-terms", certificateTerms),
        ("v9-deploy-lookup", deployLookup),
        ("v7-machine-tokens", machineTokens),
        ("v10-rollouts", rollouts),
        ("v11-recordings", recordings),
        ("v12-recording-sessions", recordingSessions),
        ("v13-outbox", outbox),
        ("v14-break-glass", breakGlass),
        ("v15-audit-stream", auditStream),
    ]

    /// Times are BIGINT milliseconds since the epoch, the precision the core hashes them at, so a
    /// record reads back to the same canonical bytes as on SQLite.
    static let auditLog = [
        """
        CREATE TABLE audit_events (
            sequence BIGINT PRIMARY KEY CHECK (sequence >= 1),
            time BIGINT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL,
            details TEXT NOT NULL CHECK (details::json IS NOT NULL),
            previous_hash BYTEA NOT NULL CHECK (length(previous_hash) = 32),
            hash BYTEA NOT NULL CHECK (length(hash) = 32)
        )
        """,
        "CREATE INDEX audit_events_by_subject ON audit_events (subject, sequence)",
        """
        CREATE TABLE audit_checkpoints (
            sequence BIGINT PRIMARY KEY CHECK (sequence >= 1),
            head_hash BYTEA NOT NULL CHECK (length(head_hash) = 32),
            signed_at BIGINT NOT NULL,
            signature BYTEA NOT NULL CHECK (length(signature) = 64)
        )
        """,
        // The chain's head, one row, locked FOR UPDATE by every appending transaction: two
        // gateways can never both append sequence N+1, whatever their isolation level.
        """
        CREATE TABLE audit_head (
            id SMALLINT PRIMARY KEY CHECK (id = 1),
            sequence BIGINT NOT NULL CHECK (sequence >= 0),
            hash BYTEA NOT NULL CHECK (length(hash) = 32)
        )
        """,
        "INSERT INTO audit_head (id, sequence, hash) VALUES (1, 0, '\\x\(String(repeating: "00", count: 32))')",
        """
        CREATE FUNCTION refuse_audit_edit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$
        """,
        "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_audit_edit()",
        "CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION refuse_audit_edit()",
    ]

    /// Only the SHA-256 of a session token is kept: a copy of the database lets nobody log in.
    static let sessions = [
        """
        CREATE TABLE sessions (
            token_hash BYTEA PRIMARY KEY CHECK (length(token_hash) = 32),
            username TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL CHECK (expires_at > created_at)
        )
        """,
        "CREATE INDEX sessions_by_expiry ON sessions (expires_at)",
    ]

    /// Applies the migrations not yet applied, up to and including `last` (all of them when nil:
    /// a gateway always migrates to the end; tests stop earlier to write rows as an older release
    /// would have).
    static func migrate(_ client: PostgresClient, upTo last: String? = nil, logger: Logger) async throws {
        var end = migrations.count
        if let last {
            guard let index = migrations.firstIndex(where: { $0.id == last }) else { throw StoreError(.schemaMismatch, "there is no migration \(last)") }
            end = index + 1
        }
        for migration in migrations.prefix(end) {
            try await client.withConnection { connection in
                try await connection.query("BEGIN", logger: logger)
                do {
                    // Before anything else, so that two gateways starting together never both
                    // create the bookkeeping table or apply the same migration.
                    try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
                    try await connection.query("""
                        CREATE TABLE IF NOT EXISTS schema_migrations (
                            id TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                        )
                        """, logger: logger)
                    let applied = try await appliedMigrations(connection, logger: logger)
                    let known = Set(migrations.map(\.id))
                    if let unknown = applied.first(where: { !known.contains($0) }) {
                        throw StoreError(.schemaMismatch, "the database has migration \(unknown), written by a newer version of Countersign")
                    }
                    if !applied.contains(migration.id) {
                        // The fixed text of this file, never input: nothing to bind.
                        for statement in migration.statements {
                            try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        try await connection.query("INSERT INTO schema_migrations (id) VALUES (\(migration.id))", logger: logger)
                    }
                    try await connection.query("COMMIT", logger: logger)
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        }
    }

    private static func appliedMigrations(_ connection: PostgresConnection, logger: Logger) async throws -> [String] {
        var applied: [String] = []
        for try await id in try await connection.query("SELECT id FROM schema_migrations", logger: logger).decode(String.self) {
            applied.append(id)
        }
        return applied
    }
}
