extension PostgresSchema {
    /// The deploy gate's lookup by exact target, as on SQLite.
    static let deployLookup = [
        """
        CREATE INDEX requests_by_deploy_target ON requests (
            (target::jsonb ->> 'service'), (target::jsonb ->> 'environment'), (target::jsonb ->> 'commit'), created_at, id
        ) WHERE kind = 'deploy'
        """,
    ]
}
