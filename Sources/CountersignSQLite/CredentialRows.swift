import CountersignCore
import CountersignStore
import Foundation
import GRDB

/// Issued credentials as rows; what the columns mean, and how they become domain values again, is
/// `StoredCredential`, shared by every backend.
enum CredentialRows {
    /// The serial after the greatest so far: rows are never deleted (a trigger refuses it) and the
    /// caller holds the write transaction, so no two issues take the same one.
    static func nextSerial(in db: Database) throws -> CredentialSerial {
        let greatest = try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(serial) FROM credentials")) ?? 0
        guard let serial = CredentialSerial(stored: greatest &+ 1), greatest >= 0 else {
            throw StoreError(.storageFailure, "credential serials are exhausted")
        }
        return serial
    }

    static func insert(_ credential: IssuedCredential, in db: Database) throws {
        let stored = StoredCredential(credential)
        try db.executeCached(
            sql: "INSERT INTO credentials (\(StoredCredential.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [
                stored.serial, stored.kind, stored.requestID, stored.holder, stored.principal, stored.fingerprint,
                stored.issuedAt, stored.validAfter, stored.validBefore,
            ]
        )
    }

    static func credentials(of id: RequestID, in db: Database) throws -> [IssuedCredential] {
        try fetchAll(db.cachedStatement(sql: "SELECT \(StoredCredential.columns) FROM credentials WHERE request_id = ? ORDER BY serial"), [id.rawValue])
    }

    /// `CredentialRules.mustBeRevoked` as a query: still valid, and the request revoked.
    static func revoked(at now: Date, in db: Database) throws -> [IssuedCredential] {
        try fetchAll(
            db.cachedStatement(sql: """
                SELECT \(StoredCredential.columns) FROM credentials
                WHERE valid_before > ? AND request_id IN (SELECT id FROM requests WHERE state = 'revoked')
                ORDER BY serial
                """),
            [now.millisecondsSinceEpoch]
        )
    }

    private static func fetchAll(_ statement: Statement, _ arguments: StatementArguments) throws -> [IssuedCredential] {
        try Row.fetchAll(statement, arguments: arguments).map { row throws(StoreError) in
            let stored = StoredRow(row: row, table: "credentials", key: (try? row.decode(Int64.self, forColumn: "serial")).map(String.init) ?? "?")
            return try StoredCredential(
                serial: try stored.value("serial"), kind: try stored.value("kind"), requestID: try stored.value("request_id"),
                holder: try stored.value("holder"), principal: try stored.value("principal"), fingerprint: try stored.value("fingerprint"),
                issuedAt: try stored.value("issued_at"), validAfter: try stored.value("valid_after"), validBefore: try stored.value("valid_before")
            ).restore()
        }
    }
}
