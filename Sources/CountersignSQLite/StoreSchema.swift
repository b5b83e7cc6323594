import CountersignStore
import GRDB

/// The versioned schema of a Countersign database. Each migration is applied once, in order, in
/// its own transaction; a release adds migrations and never edits a shipped one.
enum StoreSchema {
    /// `PRAGMA application_id` of every Countersign database ("CSGN"): tells our file from any
    /// other SQLite file before a migration or a verification touches it.
    static let applicationID: Int32 = 0x4353_474E

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1", migrate: createVersion1)
        migrator.registerMigration("v2-hardware-keys", migrate: addHardwareKeys)
        migrator.registerMigration("v3-open-targets", migrate: openTargets)
        migrator.registerMigration("v4-attempts", migrate: addAttempts)
        migrator.registerMigration("v5-credentials", migrate: addCredentials)
        migrator.registerMigration("v7-certificate-terms", migrate: addCertificateTerms)
        migrator.registerMigration("v8-deploy-lookup", migrate: addDeployLookup)
        migrator.registerMigration("v6-machine-tokens", migrate: addMachineTokens)
        migrator.registerMigration("v9-rollouts", migrate: addRollouts)
        migrator.registerMigration("v10-recordings", migrate: addRecordings)
        migrator.registerMigration("v11-recording-sessions", migrate: addRecordingSessions)
        migrator.registerMigration("v12-outbox", migrate: addOutbox)
        migrator.registerMigration("v13-break-glass", migrate: addBreakGlass)
        migrator.registerMigration("v14-audit-stream", migrate: addAuditStream)
        return migrator
    }

    /// The identifier of the last migration: a database whose applied migrations end elsewhere is
    /// of another version.
    static var currentVersion: String { "v14-audit-stream" }

    private static func createVersion1(_ db: Database) throws {
        // Spelled out rather than taken from the enums: a shipped migration must not change
        // meaning when the core gains a kind or a state; that takes a new migration.
        let states = "'pending', 'approved', 'denied', 'cancelled', 'expired', 'revoked'"
        let kinds = "'deploy', 'ssh'"
        try db.execute(sql: "PRAGMA application_id = \(applicationID)")
        // Times are INTEGER milliseconds since the epoch, the precision the core hashes them at.
        // The requirement is JSON so that the policy snapshot a request was created under stays
        // with it, whatever the policy files say later.
        try db.execute(sql: """
            CREATE TABLE requests (
                id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 20),
                kind TEXT NOT NULL CHECK (kind IN (\(kinds))),
                requester TEXT NOT NULL,
                service TEXT,
                environment TEXT,
                commit_ref TEXT,
                host TEXT,
                login TEXT,
                duration_seconds INTEGER,
                reason TEXT NOT NULL,
                ticket TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                content_digest BLOB NOT NULL CHECK (length(content_digest) = 32),
                rule_name TEXT NOT NULL,
                requirement TEXT NOT NULL CHECK (json_valid(requirement)),
                pending_expires_at INTEGER NOT NULL,
                access_duration_seconds INTEGER NOT NULL CHECK (access_duration_seconds > 0),
                state TEXT NOT NULL CHECK (state IN (\(states))),
                updated_at INTEGER NOT NULL,
                access_expires_at INTEGER,
                denied_by TEXT,
                denial_reason TEXT,
                denied_at INTEGER,
                closed_by TEXT,
                close_reason TEXT,
                CHECK (kind <> 'deploy' OR (service IS NOT NULL AND environment IS NOT NULL AND commit_ref IS NOT NULL
                    AND host IS NULL AND login IS NULL AND duration_seconds IS NULL)),
                CHECK (kind <> 'ssh' OR (host IS NOT NULL AND login IS NOT NULL AND duration_seconds IS NOT NULL
                    AND service IS NULL AND environment IS NULL AND commit_ref IS NULL)),
                CHECK ((denied_by IS NULL) = (denial_reason IS NULL) AND (denied_by IS NULL) = (denied_at IS NULL)),
                CHECK (state <> 'approved' OR access_expires_at IS NOT NULL)
            ) STRICT
            """)
        // Listing is newest first with a (created_at, id) keyset; expiry scans only open requests.
        try db.execute(sql: """
            CREATE INDEX requests_by_creation ON requests (created_at, id);
            CREATE INDEX requests_by_requester ON requests (requester, created_at, id);
            CREATE INDEX requests_pending_deadline ON requests (pending_expires_at) WHERE state = 'pending';
            CREATE INDEX requests_access_deadline ON requests (access_expires_at) WHERE state = 'approved';
            """)
        // One row per approver (an approver counts once); `position` keeps the order they came in.
        try db.execute(sql: """
            CREATE TABLE approvals (
                request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE RESTRICT,
                position INTEGER NOT NULL CHECK (position >= 0),
                approver TEXT NOT NULL,
                approver_groups TEXT NOT NULL CHECK (json_valid(approver_groups)),
                approved_at INTEGER NOT NULL,
                method TEXT NOT NULL,
                PRIMARY KEY (request_id, position),
                UNIQUE (request_id, approver)
            ) STRICT, WITHOUT ROWID
            """)
        try db.execute(sql: """
            CREATE TABLE audit_events (
                sequence INTEGER PRIMARY KEY CHECK (sequence >= 1),
                time INTEGER NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                subject TEXT NOT NULL,
                details TEXT NOT NULL CHECK (json_valid(details)),
                previous_hash BLOB NOT NULL CHECK (length(previous_hash) = 32),
                hash BLOB NOT NULL CHECK (length(hash) = 32)
            ) STRICT;
            CREATE INDEX audit_events_by_subject ON audit_events (subject, sequence);
            """)
        try db.execute(sql: """
            CREATE TABLE audit_checkpoints (
                sequence INTEGER PRIMARY KEY CHECK (sequence >= 1),
                head_hash BLOB NOT NULL CHECK (length(head_hash) = 32),
                signed_at INTEGER NOT NULL,
                signature BLOB NOT NULL CHECK (length(signature) = 64)
            ) STRICT
            """)
        // The application never edits history; these make a bug (or an injected statement) that
        // tries fail loudly instead of silently breaking the chain. Someone with the file can
        // still drop them, which is what the hash chain and signed checkpoints are for.
        for table in ["audit_events", "audit_checkpoints"] {
            try db.execute(sql: """
                CREATE TRIGGER \(table)_no_update BEFORE UPDATE ON \(table)
                BEGIN SELECT RAISE(ABORT, '\(table) is append-only'); END;
                CREATE TRIGGER \(table)_no_delete BEFORE DELETE ON \(table)
                BEGIN SELECT RAISE(ABORT, '\(table) is append-only'); END;
                """)
        }
        // Only the SHA-256 of a session token is kept: a copy of the file lets nobody log in.
        try db.execute(sql: """
            CREATE TABLE sessions (
                token_hash BLOB PRIMARY KEY NOT NULL CHECK (length(token_hash) = 32),
                username TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL CHECK (expires_at > created_at)
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX sessions_by_expiry ON sessions (expires_at);
            """)
        // A real write for /readyz: taking a lock alone would not notice a full disk.
        try db.execute(sql: """
            CREATE TABLE store_heartbeat (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                beats INTEGER NOT NULL
            ) STRICT
            """)
    }

    /// Enrolled keys, their one-time invites, ceremony challenges and the evidence of each
    /// hardware-key approval.
    private static func addHardwareKeys(_ db: Database) throws {
        // The WebAuthn user handle: random, so it tells an authenticator nothing about the name.
        try db.execute(sql: """
            CREATE TABLE key_holders (
                username TEXT PRIMARY KEY NOT NULL,
                user_handle BLOB NOT NULL UNIQUE CHECK (length(user_handle) = 16)
            ) STRICT, WITHOUT ROWID
            """)
        try db.execute(sql: """
            CREATE TABLE enrolled_keys (
                credential_id BLOB PRIMARY KEY NOT NULL CHECK (length(credential_id) BETWEEN 1 AND 1023),
                owner TEXT NOT NULL REFERENCES key_holders (username) ON DELETE RESTRICT,
                name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
                public_key BLOB NOT NULL,
                sign_count INTEGER NOT NULL CHECK (sign_count BETWEEN 0 AND 4294967295),
                backup_eligible INTEGER NOT NULL CHECK (backup_eligible IN (0, 1)),
                aaguid BLOB NOT NULL CHECK (length(aaguid) = 16),
                attestation TEXT NOT NULL,
                enrolled_at INTEGER NOT NULL,
                last_used_at INTEGER,
                flagged_at INTEGER,
                UNIQUE (owner, name)
            ) STRICT;
            CREATE INDEX enrolled_keys_by_owner ON enrolled_keys (owner, enrolled_at);
            """)
        // Only the SHA-256 of an invite code is kept, as for session tokens.
        try db.execute(sql: """
            CREATE TABLE enrolment_invites (
                code_hash BLOB PRIMARY KEY NOT NULL CHECK (length(code_hash) = 32),
                username TEXT NOT NULL,
                created_by TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL CHECK (expires_at > created_at),
                used_at INTEGER
            ) STRICT, WITHOUT ROWID
            """)
        try db.execute(sql: """
            CREATE TABLE ceremony_challenges (
                id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 32),
                purpose TEXT NOT NULL CHECK (purpose IN ('registration', 'approval', 'key_removal')),
                username TEXT NOT NULL,
                challenge BLOB CHECK (challenge IS NULL OR length(challenge) = 32),
                target_credential_id BLOB,
                request_id TEXT REFERENCES requests (id) ON DELETE RESTRICT,
                content_digest BLOB CHECK (content_digest IS NULL OR length(content_digest) = 32),
                nonce BLOB CHECK (nonce IS NULL OR length(nonce) = 32),
                issued_at INTEGER NOT NULL,
                used_at INTEGER,
                CHECK ((purpose <> 'approval') = (challenge IS NOT NULL)),
                CHECK ((purpose = 'key_removal') = (target_credential_id IS NOT NULL)),
                CHECK ((purpose = 'approval') = (request_id IS NOT NULL AND content_digest IS NOT NULL AND nonce IS NOT NULL))
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX ceremony_challenges_by_user ON ceremony_challenges (username, issued_at);
            """)
        // What a key signed for an approval, kept forever beside it: `audit verify-approvals`
        // re-derives the challenge from the request and checks the signature with these alone.
        try db.execute(sql: """
            CREATE TABLE approval_evidence (
                request_id TEXT NOT NULL,
                position INTEGER NOT NULL,
                credential_id BLOB NOT NULL,
                public_key BLOB NOT NULL,
                authenticator_data BLOB NOT NULL CHECK (length(authenticator_data) >= 37),
                client_data_json BLOB NOT NULL,
                signature BLOB NOT NULL,
                nonce BLOB NOT NULL CHECK (length(nonce) = 32),
                PRIMARY KEY (request_id, position),
                FOREIGN KEY (request_id, position) REFERENCES approvals (request_id, position) ON DELETE RESTRICT
            ) STRICT, WITHOUT ROWID;
            CREATE TRIGGER approval_evidence_no_update BEFORE UPDATE ON approval_evidence
            BEGIN SELECT RAISE(ABORT, 'approval_evidence is append-only'); END;
            CREATE TRIGGER approval_evidence_no_delete BEFORE DELETE ON approval_evidence
            BEGIN SELECT RAISE(ABORT, 'approval_evidence is append-only'); END;
            """)
    }

    /// Request kinds become open: a target is stored as the canonical JSON of its fields
    /// (`RequestTarget.fields`), so a new kind (break-glass) needs no table rebuild and no column
    /// of its own; the kind and state are checked by the core when a row is read, not by a list
    /// fixed here. The one rebuild this takes is SQLite's documented table-replacement procedure,
    /// with foreign keys checked when the migration ends.
    private static func openTargets(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE requests_v3 (
                id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 20),
                kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 32),
                requester TEXT NOT NULL,
                target TEXT NOT NULL CHECK (json_valid(target) AND json_type(target) = 'object'),
                reason TEXT NOT NULL,
                ticket TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                content_digest BLOB NOT NULL CHECK (length(content_digest) = 32),
                rule_name TEXT NOT NULL,
                requirement TEXT NOT NULL CHECK (json_valid(requirement)),
                pending_expires_at INTEGER NOT NULL,
                access_duration_seconds INTEGER NOT NULL CHECK (access_duration_seconds > 0),
                state TEXT NOT NULL CHECK (length(state) BETWEEN 1 AND 32),
                updated_at INTEGER NOT NULL,
                access_expires_at INTEGER,
                denied_by TEXT,
                denial_reason TEXT,
                denied_at INTEGER,
                closed_by TEXT,
                close_reason TEXT,
                CHECK ((denied_by IS NULL) = (denial_reason IS NULL) AND (denied_by IS NULL) = (denied_at IS NULL)),
                CHECK (state <> 'approved' OR access_expires_at IS NOT NULL)
            ) STRICT
            """)
        // Keys sorted, values as text: the very JSON `StoredJSON.encode` writes for new rows.
        try db.execute(sql: """
            INSERT INTO requests_v3
            SELECT id, kind, requester,
                CASE kind
                    WHEN 'deploy' THEN json_object('commit', commit_ref, 'environment', environment, 'service', service)
                    ELSE json_object('duration_seconds', CAST(duration_seconds AS TEXT), 'host', host, 'login', login)
                END,
                reason, ticket, created_at, content_digest, rule_name, requirement, pending_expires_at,
                access_duration_seconds, state, updated_at, access_expires_at, denied_by, denial_reason, denied_at,
                closed_by, close_reason
            FROM requests;
            DROP TABLE requests;
            ALTER TABLE requests_v3 RENAME TO requests;
            CREATE INDEX requests_by_creation ON requests (created_at, id);
            CREATE INDEX requests_by_requester ON requests (requester, created_at, id);
            CREATE INDEX requests_pending_deadline ON requests (pending_expires_at) WHERE state = 'pending';
            CREATE INDEX requests_access_deadline ON requests (access_expires_at) WHERE state = 'approved';
            """)
    }
}
