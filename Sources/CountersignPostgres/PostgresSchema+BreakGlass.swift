extension PostgresSchema {
    /// Break-glass grants beside their requests, and the ceremony challenges of statements, as
    /// SQLite's `v13-break-glass`: the same columns, CHECKs, indexes and triggers (a grant keeps
    /// its terms, its review and escalation once made, and is never deleted nor truncated away).
    /// The challenges' CHECKs that name the purposes are replaced, whatever names PostgreSQL gave
    /// them when `v4-hardware-keys` created them unnamed.
    static let breakGlass = [
        """
        CREATE TABLE break_glass_grants (
            request_id TEXT COLLATE "C" PRIMARY KEY REFERENCES requests (id) ON DELETE RESTRICT,
            channels TEXT NOT NULL CHECK (jsonb_typeof(channels::jsonb) = 'array' AND jsonb_array_length(channels::jsonb) >= 1),
            reviewers TEXT NOT NULL CHECK (jsonb_typeof(reviewers::jsonb) = 'array' AND jsonb_array_length(reviewers::jsonb) >= 1),
            review_within_seconds BIGINT NOT NULL CHECK (review_within_seconds BETWEEN 3600 AND 2592000),
            key_touched BOOLEAN NOT NULL,
            granted_at BIGINT NOT NULL,
            review_due_at BIGINT NOT NULL CHECK (review_due_at = granted_at + review_within_seconds * 1000),
            escalated_at BIGINT,
            reviewer TEXT,
            reviewer_groups TEXT CHECK (jsonb_typeof(reviewer_groups::jsonb) = 'array'),
            verdict TEXT CHECK (verdict IN ('justified', 'unjustified')),
            notes TEXT,
            reviewed_at BIGINT,
            credential_id BYTEA,
            public_key BYTEA,
            authenticator_data BYTEA CHECK (length(authenticator_data) >= 37),
            client_data_json BYTEA,
            signature BYTEA,
            nonce BYTEA CHECK (length(nonce) = 32),
            CHECK ((reviewed_at IS NULL) = (reviewer IS NULL) AND (reviewed_at IS NULL) = (reviewer_groups IS NULL)
                AND (reviewed_at IS NULL) = (verdict IS NULL) AND (reviewed_at IS NULL) = (notes IS NULL)
                AND (reviewed_at IS NULL) = (credential_id IS NULL) AND (reviewed_at IS NULL) = (public_key IS NULL)
                AND (reviewed_at IS NULL) = (authenticator_data IS NULL) AND (reviewed_at IS NULL) = (client_data_json IS NULL)
                AND (reviewed_at IS NULL) = (signature IS NULL) AND (reviewed_at IS NULL) = (nonce IS NULL))
        )
        """,
        "CREATE INDEX break_glass_grants_by_grant ON break_glass_grants (granted_at, request_id)",
        "CREATE INDEX break_glass_grants_unreviewed ON break_glass_grants (granted_at, request_id) WHERE reviewed_at IS NULL",
        """
        CREATE INDEX break_glass_grants_escalation_due ON break_glass_grants (review_due_at, request_id)
            WHERE reviewed_at IS NULL AND escalated_at IS NULL
        """,
        "CREATE INDEX requests_open_break_glass ON requests (created_at, id) WHERE kind = 'break_glass' AND state IN ('pending', 'approved')",
        // SQLite's `break_glass_grants_once` condition, `IS NOT` spelled `IS DISTINCT FROM`.
        """
        CREATE FUNCTION refuse_break_glass_edit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'break-glass grants are never deleted'; END IF;
            IF (NEW.request_id, NEW.channels, NEW.reviewers, NEW.review_within_seconds, NEW.key_touched, NEW.granted_at, NEW.review_due_at)
                    IS DISTINCT FROM (OLD.request_id, OLD.channels, OLD.reviewers, OLD.review_within_seconds, OLD.key_touched,
                        OLD.granted_at, OLD.review_due_at)
                OR (OLD.escalated_at IS NOT NULL AND NEW.escalated_at IS DISTINCT FROM OLD.escalated_at)
                OR (OLD.reviewed_at IS NOT NULL AND (NEW.reviewed_at, NEW.reviewer, NEW.reviewer_groups, NEW.verdict, NEW.notes,
                        NEW.credential_id, NEW.public_key, NEW.authenticator_data, NEW.client_data_json, NEW.signature, NEW.nonce)
                    IS DISTINCT FROM (OLD.reviewed_at, OLD.reviewer, OLD.reviewer_groups, OLD.verdict, OLD.notes,
                        OLD.credential_id, OLD.public_key, OLD.authenticator_data, OLD.client_data_json, OLD.signature, OLD.nonce))
            THEN RAISE EXCEPTION 'a break-glass grant keeps its terms, and its review and escalation once made'; END IF;
            RETURN NEW;
        END $$
        """,
        """
        CREATE TRIGGER break_glass_grants_once BEFORE UPDATE OR DELETE ON break_glass_grants
        FOR EACH ROW EXECUTE FUNCTION refuse_break_glass_edit()
        """,
        // TRUNCATE fires no row trigger: without this, one statement would forget every review.
        "CREATE TRIGGER break_glass_grants_no_truncate BEFORE TRUNCATE ON break_glass_grants FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_edit()",
        """
        DO $$
        DECLARE check_name name;
        BEGIN
            FOR check_name IN
                SELECT conname FROM pg_constraint
                WHERE conrelid = 'ceremony_challenges'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%purpose%'
            LOOP
                EXECUTE format('ALTER TABLE ceremony_challenges DROP CONSTRAINT %I', check_name);
            END LOOP;
        END $$
        """,
        """
        ALTER TABLE ceremony_challenges
            ADD CONSTRAINT ceremony_challenges_purpose_known
                CHECK (purpose IN ('registration', 'approval', 'key_removal', 'break_glass', 'break_glass_review')),
            ADD CONSTRAINT ceremony_challenges_random_bytes CHECK ((purpose IN ('registration', 'key_removal')) = (challenge IS NOT NULL)),
            ADD CONSTRAINT ceremony_challenges_removed_key CHECK ((purpose = 'key_removal') = (target_credential_id IS NOT NULL)),
            ADD CONSTRAINT ceremony_challenges_request CHECK ((purpose IN ('approval', 'break_glass_review')) = (request_id IS NOT NULL)),
            ADD CONSTRAINT ceremony_challenges_digest
                CHECK ((purpose IN ('approval', 'break_glass', 'break_glass_review')) = (content_digest IS NOT NULL)),
            ADD CONSTRAINT ceremony_challenges_nonce CHECK ((content_digest IS NULL) = (nonce IS NULL))
        """,
    ]
}
