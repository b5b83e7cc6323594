import GRDB

extension StoreSchema {
    /// Break-glass grants: each `break_glass` request has one row beside it with the terms it was
    /// granted under (kept apart from the policy, which may change during the incident), its
    /// review and its escalation. The terms never change, and the review and the escalation are
    /// each written once (triggers refuse the rest, against a bug or an injected statement;
    /// someone with the file can drop them, which is what the audit chain is for). The indexes
    /// serve the listings a grant's life needs: all, unreviewed, due for escalation, still open.
    ///
    /// Ceremony challenges gain the purposes of statements a key signs (`break_glass`,
    /// `break_glass_review`): their digest and nonce in the approval's columns, a review's grant in
    /// `request_id`. SQLite cannot alter a CHECK, so the table is rebuilt, the documented way.
    static func addBreakGlass(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE break_glass_grants (
                request_id TEXT PRIMARY KEY NOT NULL REFERENCES requests (id) ON DELETE RESTRICT,
                channels TEXT NOT NULL CHECK (json_valid(channels) AND json_type(channels) = 'array' AND json_array_length(channels) >= 1),
                reviewers TEXT NOT NULL CHECK (json_valid(reviewers) AND json_type(reviewers) = 'array' AND json_array_length(reviewers) >= 1),
                review_within_seconds INTEGER NOT NULL CHECK (review_within_seconds BETWEEN 3600 AND 2592000),
                key_touched INTEGER NOT NULL CHECK (key_touched IN (0, 1)),
                granted_at INTEGER NOT NULL,
                review_due_at INTEGER NOT NULL CHECK (review_due_at = granted_at + review_within_seconds * 1000),
                escalated_at INTEGER,
                reviewer TEXT,
                reviewer_groups TEXT CHECK (reviewer_groups IS NULL OR (json_valid(reviewer_groups) AND json_type(reviewer_groups) = 'array')),
                verdict TEXT CHECK (verdict IN ('justified', 'unjustified')),
                notes TEXT,
                reviewed_at INTEGER,
                credential_id BLOB,
                public_key BLOB,
                authenticator_data BLOB CHECK (length(authenticator_data) >= 37),
                client_data_json BLOB,
                signature BLOB,
                nonce BLOB CHECK (length(nonce) = 32),
                CHECK ((reviewed_at IS NULL) = (reviewer IS NULL) AND (reviewed_at IS NULL) = (reviewer_groups IS NULL)
                    AND (reviewed_at IS NULL) = (verdict IS NULL) AND (reviewed_at IS NULL) = (notes IS NULL)
                    AND (reviewed_at IS NULL) = (credential_id IS NULL) AND (reviewed_at IS NULL) = (public_key IS NULL)
                    AND (reviewed_at IS NULL) = (authenticator_data IS NULL) AND (reviewed_at IS NULL) = (client_data_json IS NULL)
                    AND (reviewed_at IS NULL) = (signature IS NULL) AND (reviewed_at IS NULL) = (nonce IS NULL))
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX break_glass_grants_by_grant ON break_glass_grants (granted_at, request_id);
            CREATE INDEX break_glass_grants_unreviewed ON break_glass_grants (granted_at, request_id) WHERE reviewed_at IS NULL;
            CREATE INDEX break_glass_grants_escalation_due ON break_glass_grants (review_due_at, request_id)
                WHERE reviewed_at IS NULL AND escalated_at IS NULL;
            CREATE INDEX requests_open_break_glass ON requests (created_at, id) WHERE kind = 'break_glass' AND state IN ('pending', 'approved');
            CREATE TRIGGER break_glass_grants_no_delete BEFORE DELETE ON break_glass_grants
            BEGIN SELECT RAISE(ABORT, 'break-glass grants are never deleted'); END;
            CREATE TRIGGER break_glass_grants_once BEFORE UPDATE ON break_glass_grants
            WHEN NEW.request_id IS NOT OLD.request_id OR NEW.channels IS NOT OLD.channels OR NEW.reviewers IS NOT OLD.reviewers
                OR NEW.review_within_seconds IS NOT OLD.review_within_seconds OR NEW.key_touched IS NOT OLD.key_touched
                OR NEW.granted_at IS NOT OLD.granted_at OR NEW.review_due_at IS NOT OLD.review_due_at
                OR (OLD.escalated_at IS NOT NULL AND NEW.escalated_at IS NOT OLD.escalated_at)
                OR (OLD.reviewed_at IS NOT NULL AND (NEW.reviewed_at IS NOT OLD.reviewed_at OR NEW.reviewer IS NOT OLD.reviewer
                    OR NEW.reviewer_groups IS NOT OLD.reviewer_groups OR NEW.verdict IS NOT OLD.verdict OR NEW.notes IS NOT OLD.notes
                    OR NEW.credential_id IS NOT OLD.credential_id OR NEW.public_key IS NOT OLD.public_key
                    OR NEW.authenticator_data IS NOT OLD.authenticator_data OR NEW.client_data_json IS NOT OLD.client_data_json
                    OR NEW.signature IS NOT OLD.signature OR NEW.nonce IS NOT OLD.nonce))
            BEGIN SELECT RAISE(ABORT, 'a break-glass grant keeps its terms, and its review and escalation once made'); END;
            """)
        try db.execute(sql: """
            CREATE TABLE ceremony_challenges_next (
                id TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 32),
                purpose TEXT NOT NULL CHECK (purpose IN ('registration', 'approval', 'key_removal', 'break_glass', 'break_glass_review')),
                username TEXT NOT NULL,
                challenge BLOB CHECK (challenge IS NULL OR length(challenge) = 32),
                target_credential_id BLOB,
                request_id TEXT REFERENCES requests (id) ON DELETE RESTRICT,
                content_digest BLOB CHECK (content_digest IS NULL OR length(content_digest) = 32),
                nonce BLOB CHECK (nonce IS NULL OR length(nonce) = 32),
                issued_at INTEGER NOT NULL,
                used_at INTEGER,
                CHECK ((purpose IN ('registration', 'key_removal')) = (challenge IS NOT NULL)),
                CHECK ((purpose = 'key_removal') = (target_credential_id IS NOT NULL)),
                CHECK ((purpose IN ('approval', 'break_glass_review')) = (request_id IS NOT NULL)),
                CHECK ((purpose IN ('approval', 'break_glass', 'break_glass_review')) = (content_digest IS NOT NULL)),
                CHECK ((content_digest IS NULL) = (nonce IS NULL))
            ) STRICT, WITHOUT ROWID;
            INSERT INTO ceremony_challenges_next (id, purpose, username, challenge, target_credential_id, request_id, content_digest,
                nonce, issued_at, used_at)
            SELECT id, purpose, username, challenge, target_credential_id, request_id, content_digest, nonce, issued_at, used_at
            FROM ceremony_challenges;
            DROP TABLE ceremony_challenges;
            ALTER TABLE ceremony_challenges_next RENAME TO ceremony_challenges;
            CREATE INDEX ceremony_challenges_by_user ON ceremony_challenges (username, issued_at);
            """)
    }
}
