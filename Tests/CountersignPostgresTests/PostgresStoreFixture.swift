@testable import CountersignPostgres
import Logging
import PostgresNIO
import PostgresTesting

/// Runs `body` with a migrated store on a fresh database of the test cluster, its pool running
/// for the duration, and stops the pool after.
func withPostgresStore<Value: Sendable>(_ body: @Sendable (PostgresStore) async throws -> Value) async throws -> Value {
    let database = try await PostgresServer.createDatabase()
    let store = PostgresStore(configuration: try await PostgresServer.configuration(database: database), logger: Logger(label: "countersign-postgres-test"))
    // Not a child task: a pool whose shutdown lags must not hold the test that used it.
    let pool = Task { await store.run() }
    defer { pool.cancel() }
    try await store.migrate()
    return try await body(store)
}

/// Runs `body` with a running client of its own on `database`: another gateway, or an operator.
func withPostgresClient<Value: Sendable>(database: String, _ body: @Sendable (PostgresClient) async throws -> Value) async throws -> Value {
    let client = PostgresClient(configuration: try await PostgresServer.configuration(database: database), backgroundLogger: Logger(label: "countersign-postgres-test"))
    let pool = Task { await client.run() }
    defer { pool.cancel() }
    return try await body(client)
}

extension PostgresStore {
    /// SQL as an operator at a psql prompt would type it: how tests tamper behind the store's back.
    func execute(_ sql: String) async throws {
        try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    }

    func currentDatabase() async throws -> String {
        for try await name in try await client.query("SELECT current_database()", logger: logger).decode(String.self) { return name }
        throw StoreFixtureError.noDatabase
    }
}

enum StoreFixtureError: Error { case noDatabase }
