import CountersignCore
import CountersignStore
import Foundation
import Logging
import PostgresNIO

/// Enrolled keys, key holders, invites and ceremony challenges as rows; what the columns mean, and
/// how they become domain values again, is `StoredKey`, `StoredInvite` and `StoredChallenge`,
/// shared with SQLite. What must hold across gateways is held by row locks: a challenge or an
/// invite is read FOR UPDATE before it is redeemed, so a second gateway redeeming it waits, then
/// finds it spent.
enum KeyRows {
    static let keyColumns = """
        credential_id, owner, name, public_key, sign_count, backup_eligible, aaguid, attestation, enrolled_at, last_used_at, flagged_at
        """

    /// The owner's keys, oldest first; locked until the transaction ends when `forUpdate`, so a
    /// signature counter is checked against the value it replaces.
    static func keys(of owner: Username, forUpdate: Bool, on connection: PostgresConnection, logger: Logger) async throws -> [EnrolledKey] {
        let query: PostgresQuery = forUpdate
            ? "SELECT \(unescaped: keyColumns) FROM enrolled_keys WHERE owner = \(owner.rawValue) ORDER BY enrolled_at, credential_id FOR UPDATE"
            : "SELECT \(unescaped: keyColumns) FROM enrolled_keys WHERE owner = \(owner.rawValue) ORDER BY enrolled_at, credential_id"
        return try await keys(query, on: connection, logger: logger)
    }

    static func key(_ credentialID: [UInt8], on connection: PostgresConnection, logger: Logger) async throws -> EnrolledKey? {
        try await keys(
            "SELECT \(unescaped: keyColumns) FROM enrolled_keys WHERE credential_id = \(Data(credentialID))", on: connection, logger: logger
        ).first
    }

    private static func keys(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [EnrolledKey] {
        var keys: [EnrolledKey] = []
        for try await row in try await connection.query(query, logger: logger) {
            let stored = StoredPostgresRow(row, table: "enrolled_keys") { row in
                row.contains("credential_id") ? (try? row["credential_id"].decode(Data.self)).map { StoredKey.messageKey(Array($0)) } ?? "?" : "?"
            }
            keys.append(try StoredKey(
                credentialID: try stored.bytes("credential_id"), owner: try stored.value("owner"), name: try stored.value("name"),
                publicKey: try stored.bytes("public_key"), signCount: try stored.value("sign_count"),
                backupEligible: try stored.value("backup_eligible"), aaguid: try stored.bytes("aaguid"),
                attestation: try stored.value("attestation"), enrolledAt: try stored.value("enrolled_at"),
                lastUsedAt: try stored.value("last_used_at"), flaggedAt: try stored.value("flagged_at")
            ).restore())
        }
        return keys
    }

    static func insert(_ key: EnrolledKey, on connection: PostgresConnection, logger: Logger) async throws {
        let stored = StoredKey(key)
        try await connection.query("""
            INSERT INTO enrolled_keys (\(unescaped: keyColumns))
            VALUES (\(Data(stored.credentialID)), \(stored.owner), \(stored.name), \(Data(stored.publicKey)), \(stored.signCount),
                \(stored.backupEligible), \(Data(stored.aaguid)), \(stored.attestation), \(stored.enrolledAt), \(stored.lastUsedAt),
                \(stored.flaggedAt))
            """, logger: logger)
    }

    /// Writes what use changes: the counter, the last use and the clone flag.
    static func persistUse(of key: EnrolledKey, on connection: PostgresConnection, logger: Logger) async throws {
        let stored = StoredKey(key)
        try await connection.query("""
            UPDATE enrolled_keys SET sign_count = \(stored.signCount), last_used_at = \(stored.lastUsedAt), flagged_at = \(stored.flaggedAt)
            WHERE credential_id = \(Data(stored.credentialID))
            """, logger: logger)
    }

    // MARK: Key holders

    /// The user's WebAuthn user handle, created on first use. ON CONFLICT: two gateways creating
    /// it at once both read back the one that was kept.
    static func userHandle(for user: Username, on connection: PostgresConnection, logger: Logger) async throws -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let candidate = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        try await connection.query("""
            INSERT INTO key_holders (username, user_handle) VALUES (\(user.rawValue), \(Data(candidate)))
            ON CONFLICT (username) DO NOTHING
            """, logger: logger)
        for try await handle in try await connection.query(
            "SELECT user_handle FROM key_holders WHERE username = \(user.rawValue)", logger: logger
        ).decode(Data.self) {
            return Array(handle)
        }
        throw StoreError(.storageFailure, "the user handle of \(user) was not kept")
    }

    // MARK: Invites

    /// Inserts an invite; false when its code hash is taken.
    static func insert(_ invite: EnrolmentInvite, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let stored = StoredInvite(invite)
        return try await PostgresStore.count(connection.query("""
            INSERT INTO enrolment_invites (code_hash, username, created_by, created_at, expires_at, used_at)
            VALUES (\(Data(stored.codeHash)), \(stored.username), \(stored.createdBy), \(stored.createdAt), \(stored.expiresAt), \(stored.usedAt))
            ON CONFLICT (code_hash) DO NOTHING RETURNING 1
            """, logger: logger)) == 1
    }

    /// The invite, locked until the transaction ends.
    static func lockInvite(_ codeHash: [UInt8], on connection: PostgresConnection, logger: Logger) async throws -> EnrolmentInvite? {
        for try await row in try await connection.query("""
            SELECT code_hash, username, created_by, created_at, expires_at, used_at FROM enrolment_invites
            WHERE code_hash = \(Data(codeHash)) FOR UPDATE
            """, logger: logger) {
            let stored = StoredPostgresRow(row, table: "enrolment_invites") { _ in "(code hash withheld)" }
            return try StoredInvite(
                codeHash: try stored.bytes("code_hash"), username: try stored.value("username"), createdBy: try stored.value("created_by"),
                createdAt: try stored.value("created_at"), expiresAt: try stored.value("expires_at"), usedAt: try stored.value("used_at")
            ).restore()
        }
        return nil
    }

    static func markUsed(_ invite: EnrolmentInvite, on connection: PostgresConnection, logger: Logger) async throws {
        let spent = try await PostgresStore.count(connection.query("""
            UPDATE enrolment_invites SET used_at = \(invite.usedAt?.millisecondsSinceEpoch)
            WHERE code_hash = \(Data(invite.codeHash)) AND used_at IS NULL RETURNING 1
            """, logger: logger))
        guard spent == 1 else { throw StoreError(.invalidChange, "the invite was already used") }
    }

    // MARK: Ceremony challenges

    static func insert(_ challenge: CeremonyChallenge, on connection: PostgresConnection, logger: Logger) async throws {
        let stored = StoredChallenge(challenge)
        try await connection.query("""
            INSERT INTO ceremony_challenges (id, purpose, username, challenge, target_credential_id, request_id, content_digest,
                nonce, issued_at, used_at)
            VALUES (\(stored.id), \(stored.purpose), \(stored.username), \(stored.challenge.map { Data($0) }),
                \(stored.targetCredentialID.map { Data($0) }), \(stored.requestID), \(stored.contentDigest.map { Data($0) }),
                \(stored.nonce.map { Data($0) }), \(stored.issuedAt), \(stored.usedAt))
            """, logger: logger)
    }

    /// The challenge, locked until the transaction ends.
    static func lockChallenge(_ id: String, on connection: PostgresConnection, logger: Logger) async throws -> CeremonyChallenge? {
        for try await row in try await connection.query("""
            SELECT id, purpose, username, challenge, target_credential_id, request_id, content_digest, nonce, issued_at, used_at
            FROM ceremony_challenges WHERE id = \(id) FOR UPDATE
            """, logger: logger) {
            let stored = StoredPostgresRow(row, table: "ceremony_challenges") { _ in id }
            return try StoredChallenge(
                id: try stored.value("id"), purpose: try stored.value("purpose"), username: try stored.value("username"),
                challenge: try stored.optionalBytes("challenge"), targetCredentialID: try stored.optionalBytes("target_credential_id"),
                requestID: try stored.value("request_id"), contentDigest: try stored.optionalBytes("content_digest"),
                nonce: try stored.optionalBytes("nonce"), issuedAt: try stored.value("issued_at"), usedAt: try stored.value("used_at")
            ).restore()
        }
        return nil
    }

    /// Spends the challenge; the `used_at IS NULL` condition is the database's own guarantee
    /// that it is spent once, whatever locking the caller did.
    static func markUsed(_ challenge: CeremonyChallenge, on connection: PostgresConnection, logger: Logger) async throws {
        let spent = try await PostgresStore.count(connection.query("""
            UPDATE ceremony_challenges SET used_at = \(challenge.usedAt?.millisecondsSinceEpoch)
            WHERE id = \(challenge.id) AND used_at IS NULL RETURNING 1
            """, logger: logger))
        guard spent == 1 else { throw StoreError(.invalidChange, "challenge \(challenge.id) was already answered") }
    }
}
