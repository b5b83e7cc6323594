extension PostgresSchema {
    /// Whether a deploy request's approval is single-use, and its first rollout start, as on
    /// SQLite.
    static let rollouts = [
        "ALTER TABLE requests ADD COLUMN single_use BOOLEAN NOT NULL DEFAULT false",
        "ALTER TABLE requests ADD COLUMN rollout_started_at BIGINT",
        """
        ALTER TABLE requests ADD COLUMN rollout_started_by TEXT
            CHECK ((rollout_started_by IS NULL) = (rollout_started_at IS NULL))
        """,
    ]
}
