import CountersignStore
import PostgresNIO

extension PostgresStore: StoreMaintenance {
    /// Always refused with `unsupported`: a gateway cannot copy a database server's database into
    /// a consistent local file (it holds neither the server's files nor a snapshot it could hand
    /// on). Back PostgreSQL up with its own tools: `pg_dump` for a logical copy, `pg_basebackup`
    /// with WAL archiving for point-in-time recovery.
    public func backup(to path: String) async throws {
        throw StoreError(
            .unsupported,
            "a PostgreSQL store is not copied into a file by the gateway; back it up with pg_dump (a logical copy) or pg_basebackup with WAL archiving"
        )
    }

    /// A real write, committed like any other: a connection that answers is not proof that the
    /// database still commits (a full disk, a read-only standby after a failover).
    public func checkWritable() async throws {
        try await transaction { connection in
            try await connection.query("""
                INSERT INTO store_heartbeat (id, beats) VALUES (1, 1)
                ON CONFLICT (id) DO UPDATE SET beats = store_heartbeat.beats + 1
                """, logger: logger)
        }
    }
}

extension PostgresStore: GatewayStore {}
