extension PostgresSchema {
    /// Attempts counted against limits (`AttemptLedger`), as on SQLite: one row per attempt and
    /// counter, read newest first within a window, forgotten once no window reaches them.
    static let attempts = [
        """
        CREATE TABLE attempts (
            scope TEXT NOT NULL CHECK (length(scope) BETWEEN 1 AND 64),
            key TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
            receipt TEXT NOT NULL CHECK (length(receipt) = 32),
            at BIGINT NOT NULL,
            PRIMARY KEY (scope, key, receipt)
        )
        """,
        "CREATE INDEX attempts_by_counter_time ON attempts (scope, key, at)",
        "CREATE INDEX attempts_by_time ON attempts (at)",
    ]
}
