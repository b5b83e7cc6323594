import GRDB

extension StoreSchema {
    /// The certificate terms a request was filed under, beside its requirement. Rows from before
    /// stay NULL: their rules had no terms, which reads back as the standard ones.
    static func addCertificateTerms(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE requests ADD COLUMN certificate_terms TEXT
                CHECK (certificate_terms IS NULL OR json_type(certificate_terms) = 'object')
            """)
    }
}
