@testable import CountersignPostgres
import Logging
import PostgresNIO
import PostgresTesting

/// Runs `body` with a migrated store on a fresh database of the test cluster, its pool running
/// for the duration, and stops the pool after.
func withPostgresStore<Value: Sendable>(_ body: @Sendable (PostgresStore) async throws -> Value) async throws -> Value {
    let database = try PostgresServer.createDatabase()
    let store = PostgresStore(configuration: try PostgresServer.configuration(database: database), logger: Logger(label: "countersign-postgres-test"))
    return try await withThrowingTaskGroup(of: Value?.self) { group in
        group.addTask { await store.run(); return nil }
        defer { group.cancelAll() }
        try await store.migrate()
        return try await body(store)
    }
}

/// Runs `body` with a running client of its own on `database`: another gateway, or an operator.
func withPostgresClient<Value: Sendable>(database: String, _ body: @Sendable (PostgresClient) async throws -> Value) async throws -> Value {
    let client = PostgresClient(configuration: try PostgresServer.configuration(database: database), backgroundLogger: Logger(label: "countersign-postgres-test"))
    return try await withThrowingTaskGroup(of: Value?.self) { group in
        group.addTask { await client.run(); return nil }
        defer { group.cancelAll() }
        return try await body(client)
    }
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
