import GRDB

extension StoreSchema {
    /// Attempts counted against limits (`AttemptLedger`): one row per attempt and counter, read
    /// newest first within a window, forgotten once no window reaches them.
    static func addAttempts(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE attempts (
                scope TEXT NOT NULL CHECK (length(scope) BETWEEN 1 AND 64),
                key TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
                receipt TEXT NOT NULL CHECK (length(receipt) = 32),
                at INTEGER NOT NULL,
                PRIMARY KEY (scope, key, receipt)
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX attempts_by_counter_time ON attempts (scope, key, at);
            CREATE INDEX attempts_by_time ON attempts (at);
            """)
    }
}
