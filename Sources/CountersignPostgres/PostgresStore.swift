import CountersignCore
import CountersignStore
import Foundation
import Logging
import PostgresNIO

/// The gateway's store on PostgreSQL, for several gateways on one database: the same contract
/// as the embedded SQLite, with what must hold across gateways held by the database. Every
/// transaction runs at READ COMMITTED and locks what it decides on: the audit chain's head inside
/// each appending transaction (always last), a request `FOR UPDATE` before its decision, a
/// challenge or invite before it is redeemed, an approver's keys while their counter is checked.
///
/// `run()` must be running (a service of the application, or a task in a test) while the store
/// is used: it drives the connection pool.
public final class PostgresStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    let auditTally = CommittedEventTally()

    /// Connects lazily: nothing is sent before `run()` starts and the first query is made.
    public init(configuration: PostgresClient.Configuration, logger: Logger) {
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    public func run() async {
        await client.run()
    }

    /// Brings the schema to the current version, each migration in its own transaction; refuses a
    /// database that a newer version of the gateway has migrated.
    public func migrate() async throws {
        do {
            try await PostgresSchema.migrate(client, logger: logger)
        } catch {
            throw StoreError(translating: error)
        }
    }

    /// One transaction: `BEGIN`, `body`, `COMMIT`; any error rolls back and is rethrown as the
    /// store's (a decision's own refusal unchanged), never half-applied.
    func transaction<Value: Sendable>(_ body: (PostgresConnection) async throws -> Value) async throws -> Value {
        do {
            return try await client.withConnection { connection in
                try await connection.query("BEGIN ISOLATION LEVEL READ COMMITTED", logger: logger)
                do {
                    let value = try await body(connection)
                    try await connection.query("COMMIT", logger: logger)
                    return value
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        } catch {
            throw StoreError.translatingKeepingDomain(error)
        }
    }

    func read<Value: Sendable>(_ body: (PostgresConnection) async throws -> Value) async throws -> Value {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch {
            throw StoreError.translatingKeepingDomain(error)
        }
    }
}
