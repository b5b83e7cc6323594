extension PostgresSchema {
    /// The certificate terms a request was filed under, as on SQLite: NULL in rows from before.
    static let certificateTerms = [
        """
        ALTER TABLE requests ADD COLUMN certificate_terms TEXT
            CHECK (certificate_terms IS NULL OR jsonb_typeof(certificate_terms::jsonb) = 'object')
        """,
    ]
}
