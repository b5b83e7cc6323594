import CountersignCore
import CountersignStore
import Foundation
import Logging
import PostgresNIO

/// Machine tokens as rows; what the columns mean, and how they become domain values again, is
/// `StoredMachineToken`, shared with SQLite. A revocation reads the token FOR UPDATE, so two
/// gateways revoking at once record one revocation.
enum MachineTokenRows {
    /// False when the name or the secret hash is taken: ON CONFLICT rather than a read first, so
    /// two gateways making the same name at once see exactly one succeed.
    static func insert(_ token: MachineToken, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let stored = StoredMachineToken(token)
        return try await PostgresStore.count(connection.query("""
            INSERT INTO machine_tokens (\(unescaped: StoredMachineToken.columns))
            VALUES (\(stored.name), \(Data(stored.secretHash)), \(stored.scopes), \(stored.services), \(stored.createdBy),
                \(stored.createdAt), \(stored.expiresAt), \(stored.revokedAt), \(stored.revokedBy))
            ON CONFLICT DO NOTHING RETURNING 1
            """, logger: logger)) == 1
    }

    static func persistRevocation(of token: MachineToken, on connection: PostgresConnection, logger: Logger) async throws {
        let stored = StoredMachineToken(token)
        let revoked = try await PostgresStore.count(connection.query("""
            UPDATE machine_tokens SET revoked_at = \(stored.revokedAt), revoked_by = \(stored.revokedBy)
            WHERE name = \(stored.name) AND revoked_at IS NULL RETURNING 1
            """, logger: logger))
        guard revoked == 1 else { throw StoreError(.invalidChange, "machine token \(token.name) was already revoked") }
    }

    static func all(on connection: PostgresConnection, logger: Logger) async throws -> [MachineToken] {
        try await fetch("SELECT \(unescaped: StoredMachineToken.columns) FROM machine_tokens ORDER BY name", on: connection, logger: logger)
    }

    /// The token named `name`, locked until the transaction ends.
    static func lock(named name: MachineTokenName, on connection: PostgresConnection, logger: Logger) async throws -> MachineToken? {
        try await fetch(
            "SELECT \(unescaped: StoredMachineToken.columns) FROM machine_tokens WHERE name = \(name.rawValue) FOR UPDATE",
            on: connection, logger: logger
        ).first
    }

    static func token(secretHash: [UInt8], on connection: PostgresConnection, logger: Logger) async throws -> MachineToken? {
        try await fetch(
            "SELECT \(unescaped: StoredMachineToken.columns) FROM machine_tokens WHERE secret_hash = \(Data(secretHash))",
            on: connection, logger: logger
        ).first
    }

    private static func fetch(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [MachineToken] {
        var tokens: [MachineToken] = []
        for try await row in try await connection.query(query, logger: logger) {
            let stored = StoredPostgresRow(row, table: "machine_tokens") { StoredPostgresRow.text("name", of: $0) }
            tokens.append(try StoredMachineToken(
                name: try stored.value("name"), secretHash: try stored.bytes("secret_hash"), scopes: try stored.value("scopes"),
                services: try stored.value("services"), createdBy: try stored.value("created_by"), createdAt: try stored.value("created_at"),
                expiresAt: try stored.value("expires_at"), revokedAt: try stored.value("revoked_at"), revokedBy: try stored.value("revoked_by")
            ).restore())
        }
        return tokens
    }
}
