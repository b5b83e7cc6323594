import GRDB

extension StoreSchema {
    /// Whether a deploy request's approval is single-use, and its first rollout start. Rows from
    /// before were filed under rules that could not be single-use.
    static func addRollouts(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE requests ADD COLUMN single_use INTEGER NOT NULL DEFAULT 0 CHECK (single_use IN (0, 1))")
        try db.execute(sql: "ALTER TABLE requests ADD COLUMN rollout_started_at INTEGER")
        try db.execute(sql: """
            ALTER TABLE requests ADD COLUMN rollout_started_by TEXT
                CHECK ((rollout_started_by IS NULL) = (rollout_started_at IS NULL))
            """)
    }
}
