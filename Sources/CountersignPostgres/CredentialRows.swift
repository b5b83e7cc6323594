import CountersignCore
import CountersignStore
import Foundation
import Logging
import PostgresNIO

/// Issued credentials as rows; what the columns mean, and how they become domain values again, is
/// `StoredCredential`, shared with SQLite.
enum CredentialRows {
    static func nextSerial(on connection: PostgresConnection, logger: Logger) async throws -> CredentialSerial {
        for try await next in try await connection.query("SELECT nextval('credential_serials')", logger: logger).decode(Int64.self) {
            if let serial = CredentialSerial(stored: next) { return serial }
        }
        throw StoreError(.storageFailure, "the credential serial sequence gave no usable serial")
    }

    static func insert(_ credential: IssuedCredential, on connection: PostgresConnection, logger: Logger) async throws {
        let stored = StoredCredential(credential)
        try await connection.query("""
            INSERT INTO credentials (\(unescaped: StoredCredential.columns))
            VALUES (\(stored.serial), \(stored.kind), \(stored.requestID), \(stored.holder), \(stored.principal),
                \(stored.fingerprint), \(stored.issuedAt), \(stored.validAfter), \(stored.validBefore))
            """, logger: logger)
    }

    static func credentials(of id: RequestID, on connection: PostgresConnection, logger: Logger) async throws -> [IssuedCredential] {
        try await fetchAll(
            "SELECT \(unescaped: StoredCredential.columns) FROM credentials WHERE request_id = \(id.rawValue) ORDER BY serial",
            on: connection, logger: logger
        )
    }

    /// `CredentialRules.mustBeRevoked` as a query: still valid, and the request revoked.
    static func revoked(at now: Date, on connection: PostgresConnection, logger: Logger) async throws -> [IssuedCredential] {
        try await fetchAll("""
            SELECT \(unescaped: StoredCredential.columns) FROM credentials
            WHERE valid_before > \(now.millisecondsSinceEpoch) AND request_id IN (SELECT id FROM requests WHERE state = 'revoked')
            ORDER BY serial
            """, on: connection, logger: logger)
    }

    private static func fetchAll(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [IssuedCredential] {
        var credentials: [IssuedCredential] = []
        for try await row in try await connection.query(query, logger: logger) {
            let stored = StoredPostgresRow(row, table: "credentials") { StoredPostgresRow.number("serial", of: $0) }
            credentials.append(try StoredCredential(
                serial: try stored.value("serial"), kind: try stored.value("kind"), requestID: try stored.value("request_id"),
                holder: try stored.value("holder"), principal: try stored.value("principal"), fingerprint: try stored.value("fingerprint"),
                issuedAt: try stored.value("issued_at"), validAfter: try stored.value("valid_after"), validBefore: try stored.value("valid_before")
            ).restore())
        }
        return credentials
    }
}
