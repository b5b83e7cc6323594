extension PostgresSchema {
    /// Credentials issued for approved requests, as on SQLite, append-only. Serials come from a
    /// sequence, so gateways issuing at once never take the same one; a serial whose transaction
    /// rolled back is skipped, never reused.
    static let credentials = [
        "CREATE SEQUENCE credential_serials AS BIGINT MINVALUE 1 START 1",
        """
        CREATE TABLE credentials (
            serial BIGINT PRIMARY KEY CHECK (serial >= 1),
            kind TEXT NOT NULL CHECK (kind IN ('ssh_certificate', 'deploy_token')),
            request_id TEXT NOT NULL REFERENCES requests (id) ON DELETE RESTRICT,
            holder TEXT NOT NULL,
            principal TEXT NOT NULL,
            fingerprint TEXT NOT NULL CHECK (length(fingerprint) = 64),
            issued_at BIGINT NOT NULL,
            valid_after BIGINT NOT NULL,
            valid_before BIGINT NOT NULL CHECK (valid_before > valid_after)
        )
        """,
        "CREATE INDEX credentials_by_request ON credentials (request_id, serial)",
        "CREATE TRIGGER credentials_append_only BEFORE UPDATE OR DELETE ON credentials FOR EACH ROW EXECUTE FUNCTION refuse_audit_edit()",
    ]
}
