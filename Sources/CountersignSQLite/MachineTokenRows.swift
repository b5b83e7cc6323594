import CountersignCore
import CountersignStore
import Foundation
import GRDB

/// Machine tokens as rows; what the columns mean, and how they become domain values again, is
/// `StoredMachineToken`, shared by every backend.
enum MachineTokenRows {
    static func insert(_ token: MachineToken, in db: Database) throws {
        let stored = StoredMachineToken(token)
        try db.execute(
            sql: "INSERT INTO machine_tokens (\(StoredMachineToken.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [
                stored.name, Data(stored.secretHash), stored.scopes, stored.services, stored.createdBy, stored.createdAt,
                stored.expiresAt, stored.revokedAt, stored.revokedBy,
            ]
        )
    }

    static func persistRevocation(of token: MachineToken, in db: Database) throws {
        let stored = StoredMachineToken(token)
        try db.execute(
            sql: "UPDATE machine_tokens SET revoked_at = ?, revoked_by = ? WHERE name = ? AND revoked_at IS NULL",
            arguments: [stored.revokedAt, stored.revokedBy, stored.name]
        )
        guard db.changesCount == 1 else { throw StoreError(.invalidChange, "machine token \(token.name) was already revoked") }
    }

    static func all(in db: Database) throws -> [MachineToken] {
        try Row.fetchAll(db, sql: "SELECT \(StoredMachineToken.columns) FROM machine_tokens ORDER BY name").map(decode)
    }

    static func token(named name: MachineTokenName, in db: Database) throws -> MachineToken? {
        try Row.fetchOne(db, sql: "SELECT \(StoredMachineToken.columns) FROM machine_tokens WHERE name = ?", arguments: [name.rawValue]).map(decode)
    }

    static func token(secretHash: [UInt8], in db: Database) throws -> MachineToken? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(StoredMachineToken.columns) FROM machine_tokens WHERE secret_hash = ?"),
            arguments: [Data(secretHash)]
        ).map(decode)
    }

    private static func decode(_ row: Row) throws(StoreError) -> MachineToken {
        let stored = StoredRow(row: row, table: "machine_tokens", key: (try? row.decode(String.self, forColumn: "name")) ?? "?")
        return try StoredMachineToken(
            name: try stored.value("name"), secretHash: try stored.blob("secret_hash"), scopes: try stored.value("scopes"),
            services: try stored.value("services"), createdBy: try stored.value("created_by"), createdAt: try stored.value("created_at"),
            expiresAt: try stored.value("expires_at"), revokedAt: try stored.value("revoked_at"), revokedBy: try stored.value("revoked_by")
        ).restore()
    }
}
