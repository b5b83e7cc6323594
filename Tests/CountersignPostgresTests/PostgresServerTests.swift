import Logging
import PostgresNIO
import PostgresTesting
import Testing

@Suite("The test PostgreSQL", .timeLimit(.minutes(3)))
struct PostgresServerTests {
    @Test("a fresh database on the test cluster answers a query over 127.0.0.1")
    func selectOne() async throws {
        let database = try await PostgresServer.createDatabase()
        let answer = try await withPostgresClient(database: database) { client in
            var values: [Int] = []
            for try await value in try await client.query("SELECT 1").decode(Int.self) { values.append(value) }
            return values
        }
        #expect(answer == [1])
    }

    @Test("each test gets a database of its own")
    func freshDatabases() async throws {
        let first = try await PostgresServer.createDatabase()
        #expect(try await PostgresServer.createDatabase() != first)
    }
}
