import CountersignPostgres

/// Which store a gateway keeps its state in.
public enum DatabaseLocation: Sendable, Equatable {
    /// SQLite, in the data directory: one gateway, nothing else to run.
    case embedded
    /// PostgreSQL: several gateways on one database share one state and one audit chain.
    case postgres(PostgresLocation)
}
