extension PostgresSchema {
    /// Enrolled keys, their one-time invites, ceremony challenges and the evidence of each
    /// hardware-key approval, with the columns and CHECKs of SQLite's schema.
    static let hardwareKeys = [
        // The WebAuthn user handle: random, so it tells an authenticator nothing about the name.
        """
        CREATE TABLE key_holders (
            username TEXT PRIMARY KEY,
            user_handle BYTEA NOT NULL UNIQUE CHECK (length(user_handle) = 16)
        )
        """,
        """
        CREATE TABLE enrolled_keys (
            credential_id BYTEA PRIMARY KEY CHECK (length(credential_id) BETWEEN 1 AND 1023),
            owner TEXT NOT NULL REFERENCES key_holders (username) ON DELETE RESTRICT,
            name TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
            public_key BYTEA NOT NULL,
            sign_count BIGINT NOT NULL CHECK (sign_count BETWEEN 0 AND 4294967295),
            backup_eligible BOOLEAN NOT NULL,
            aaguid BYTEA NOT NULL CHECK (length(aaguid) = 16),
            attestation TEXT NOT NULL,
            enrolled_at BIGINT NOT NULL,
            last_used_at BIGINT,
            flagged_at BIGINT,
            UNIQUE (owner, name)
        )
        """,
        "CREATE INDEX enrolled_keys_by_owner ON enrolled_keys (owner, enrolled_at)",
        // Only the SHA-256 of an invite code is kept, as for session tokens.
        """
        CREATE TABLE enrolment_invites (
            code_hash BYTEA PRIMARY KEY CHECK (length(code_hash) = 32),
            username TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL CHECK (expires_at > created_at),
            used_at BIGINT
        )
        """,
        """
        CREATE TABLE ceremony_challenges (
            id TEXT PRIMARY KEY CHECK (length(id) = 32),
            purpose TEXT NOT NULL CHECK (purpose IN ('registration', 'approval', 'key_removal')),
            username TEXT NOT NULL,
            challenge BYTEA CHECK (challenge IS NULL OR length(challenge) = 32),
            target_credential_id BYTEA,
            request_id TEXT COLLATE "C" REFERENCES requests (id) ON DELETE RESTRICT,
            content_digest BYTEA CHECK (content_digest IS NULL OR length(content_digest) = 32),
            nonce BYTEA CHECK (nonce IS NULL OR length(nonce) = 32),
            issued_at BIGINT NOT NULL,
            used_at BIGINT,
            CHECK ((purpose <> 'approval') = (challenge IS NOT NULL)),
            CHECK ((purpose = 'key_removal') = (target_credential_id IS NOT NULL)),
            CHECK ((purpose = 'approval') = (request_id IS NOT NULL AND content_digest IS NOT NULL AND nonce IS NOT NULL))
        )
        """,
        "CREATE INDEX ceremony_challenges_by_user ON ceremony_challenges (username, issued_at)",
        // What a key signed for an approval, kept forever beside it: `audit verify-approvals`
        // re-derives the challenge from the request and checks the signature with these alone.
        """
        CREATE TABLE approval_evidence (
            request_id TEXT COLLATE "C" NOT NULL,
            position BIGINT NOT NULL,
            credential_id BYTEA NOT NULL,
            public_key BYTEA NOT NULL,
            authenticator_data BYTEA NOT NULL CHECK (length(authenticator_data) >= 37),
            client_data_json BYTEA NOT NULL,
            signature BYTEA NOT NULL,
            nonce BYTEA NOT NULL CHECK (length(nonce) = 32),
            PRIMARY KEY (request_id, position),
            FOREIGN KEY (request_id, position) REFERENCES approvals (request_id, position) ON DELETE RESTRICT
        )
        """,
        "CREATE TRIGGER approval_evidence_append_only BEFORE UPDATE OR DELETE ON approval_evidence FOR EACH ROW EXECUTE FUNCTION refuse_audit_edit()",
    ]
}
