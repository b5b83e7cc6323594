import CountersignStore
import CountersignCore
import Foundation
import GRDB

/// Enrolled keys, key holders, invites and ceremony challenges as rows; what the columns mean, and
/// how they become domain values again, is `StoredKey`, `StoredInvite` and `StoredChallenge`,
/// shared by every backend.
enum KeyRows {
    static let keyColumns = """
        credential_id, owner, name, public_key, sign_count, backup_eligible, aaguid, attestation, enrolled_at, last_used_at, flagged_at
        """

    static func keys(of owner: Username, in db: Database) throws -> [EnrolledKey] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT \(keyColumns) FROM enrolled_keys WHERE owner = ? ORDER BY enrolled_at, credential_id"),
            arguments: [owner.rawValue]
        ).map(decodeKey)
    }

    static func key(_ credentialID: [UInt8], in db: Database) throws -> EnrolledKey? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(keyColumns) FROM enrolled_keys WHERE credential_id = ?"), arguments: [Data(credentialID)]
        ).map(decodeKey)
    }

    static func insert(_ key: EnrolledKey, in db: Database) throws {
        let stored = StoredKey(key)
        try db.execute(
            sql: "INSERT INTO enrolled_keys (\(keyColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [
                Data(stored.credentialID), stored.owner, stored.name, Data(stored.publicKey), stored.signCount,
                stored.backupEligible, Data(stored.aaguid), stored.attestation, stored.enrolledAt, stored.lastUsedAt, stored.flaggedAt,
            ]
        )
    }

    /// Writes what use changes: the counter, the last use and the clone flag.
    static func persistUse(of key: EnrolledKey, in db: Database) throws {
        let stored = StoredKey(key)
        try db.executeCached(
            sql: "UPDATE enrolled_keys SET sign_count = ?, last_used_at = ?, flagged_at = ? WHERE credential_id = ?",
            arguments: [stored.signCount, stored.lastUsedAt, stored.flaggedAt, Data(stored.credentialID)]
        )
    }

    private static func decodeKey(_ row: Row) throws(StoreError) -> EnrolledKey {
        let credentialID = (try? row.decode(Data.self, forColumn: "credential_id")).map { StoredKey.messageKey(Array($0)) } ?? "?"
        let stored = StoredRow(row: row, table: "enrolled_keys", key: credentialID)
        return try StoredKey(
            credentialID: try stored.blob("credential_id"), owner: try stored.value("owner"), name: try stored.value("name"),
            publicKey: try stored.blob("public_key"), signCount: try stored.value("sign_count"),
            backupEligible: try stored.value("backup_eligible"), aaguid: try stored.blob("aaguid"),
            attestation: try stored.value("attestation"), enrolledAt: try stored.value("enrolled_at"),
            lastUsedAt: try stored.value("last_used_at"), flaggedAt: try stored.value("flagged_at")
        ).restore()
    }

    // MARK: Key holders

    /// The user's WebAuthn user handle, created on first use.
    static func userHandle(for user: Username, in db: Database) throws -> [UInt8] {
        if let existing = try Data.fetchOne(db, sql: "SELECT user_handle FROM key_holders WHERE username = ?", arguments: [user.rawValue]) {
            return Array(existing)
        }
        var generator = SystemRandomNumberGenerator()
        let handle = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        try db.execute(sql: "INSERT INTO key_holders (username, user_handle) VALUES (?, ?)", arguments: [user.rawValue, Data(handle)])
        return handle
    }

    // MARK: Invites

    static func insert(_ invite: EnrolmentInvite, in db: Database) throws {
        let stored = StoredInvite(invite)
        try db.execute(
            sql: "INSERT INTO enrolment_invites (code_hash, username, created_by, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [Data(stored.codeHash), stored.username, stored.createdBy, stored.createdAt, stored.expiresAt, stored.usedAt]
        )
    }

    static func invite(_ codeHash: [UInt8], in db: Database) throws -> EnrolmentInvite? {
        try Row.fetchOne(
            db, sql: "SELECT code_hash, username, created_by, created_at, expires_at, used_at FROM enrolment_invites WHERE code_hash = ?",
            arguments: [Data(codeHash)]
        ).map { row throws(StoreError) in
            let stored = StoredRow(row: row, table: "enrolment_invites", key: "(code hash withheld)")
            return try StoredInvite(
                codeHash: try stored.blob("code_hash"), username: try stored.value("username"), createdBy: try stored.value("created_by"),
                createdAt: try stored.value("created_at"), expiresAt: try stored.value("expires_at"), usedAt: try stored.value("used_at")
            ).restore()
        }
    }

    static func markUsed(_ invite: EnrolmentInvite, in db: Database) throws {
        try db.execute(
            sql: "UPDATE enrolment_invites SET used_at = ? WHERE code_hash = ? AND used_at IS NULL",
            arguments: [invite.usedAt?.millisecondsSinceEpoch, Data(invite.codeHash)]
        )
    }

    // MARK: Ceremony challenges

    static func insert(_ challenge: CeremonyChallenge, in db: Database) throws {
        let stored = StoredChallenge(challenge)
        try db.executeCached(
            sql: """
                INSERT INTO ceremony_challenges (id, purpose, username, challenge, target_credential_id, request_id, content_digest,
                    nonce, issued_at, used_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                stored.id, stored.purpose, stored.username, stored.challenge.map { Data($0) }, stored.targetCredentialID.map { Data($0) },
                stored.requestID, stored.contentDigest.map { Data($0) }, stored.nonce.map { Data($0) }, stored.issuedAt, stored.usedAt,
            ]
        )
    }

    static func challenge(_ id: String, in db: Database) throws -> CeremonyChallenge? {
        try Row.fetchOne(
            db.cachedStatement(sql: """
                SELECT id, purpose, username, challenge, target_credential_id, request_id, content_digest, nonce, issued_at, used_at
                FROM ceremony_challenges WHERE id = ?
                """),
            arguments: [id]
        ).map { row throws(StoreError) in
            let stored = StoredRow(row: row, table: "ceremony_challenges", key: id)
            return try StoredChallenge(
                id: try stored.value("id"), purpose: try stored.value("purpose"), username: try stored.value("username"),
                challenge: try stored.optionalBlob("challenge"), targetCredentialID: try stored.optionalBlob("target_credential_id"),
                requestID: try stored.value("request_id"), contentDigest: try stored.optionalBlob("content_digest"),
                nonce: try stored.optionalBlob("nonce"), issuedAt: try stored.value("issued_at"), usedAt: try stored.value("used_at")
            ).restore()
        }
    }

    static func markUsed(_ challenge: CeremonyChallenge, in db: Database) throws {
        try db.executeCached(
            sql: "UPDATE ceremony_challenges SET used_at = ? WHERE id = ? AND used_at IS NULL",
            arguments: [challenge.usedAt?.millisecondsSinceEpoch, challenge.id]
        )
        guard db.changesCount == 1 else { throw StoreError(.invalidChange, "challenge \(challenge.id) was already answered") }
    }
}
