import CountersignStore
import CountersignCore
import Foundation
import GRDB

/// Enrolled keys, key holders, invites and ceremony challenges as rows.
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
        try db.execute(
            sql: "INSERT INTO enrolled_keys (\(keyColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [
                Data(key.credentialID), key.owner.rawValue, key.name, Data(key.publicKey), Int64(key.signCount),
                key.backupEligible, Data(key.aaguid), key.attestation, key.enrolledAt.millisecondsSinceEpoch,
                key.lastUsedAt?.millisecondsSinceEpoch, key.flaggedAt?.millisecondsSinceEpoch,
            ]
        )
    }

    /// Writes what use changes: the counter, the last use and the clone flag.
    static func persistUse(of key: EnrolledKey, in db: Database) throws {
        try db.executeCached(
            sql: "UPDATE enrolled_keys SET sign_count = ?, last_used_at = ?, flagged_at = ? WHERE credential_id = ?",
            arguments: [Int64(key.signCount), key.lastUsedAt?.millisecondsSinceEpoch, key.flaggedAt?.millisecondsSinceEpoch, Data(key.credentialID)]
        )
    }

    private static func decodeKey(_ row: Row) throws(StoreError) -> EnrolledKey {
        let stored = StoredRow(row: row, table: "enrolled_keys", key: (try? row.decode(Data.self, forColumn: "credential_id"))?.prefix(8).hexString ?? "?")
        let signCount = try stored.value("sign_count", as: Int64.self)
        guard let count = UInt32(exactly: signCount) else { throw stored.corrupt("sign_count is out of range") }
        let owner = try stored.domain("owner", Username.init)
        let name = try stored.value("name", as: String.self)
        let credentialID = try stored.blob("credential_id")
        let publicKey = try stored.blob("public_key")
        let backupEligible = try stored.value("backup_eligible", as: Bool.self)
        let aaguid = try stored.bytes("aaguid", count: 16)
        let attestation = try stored.value("attestation", as: String.self)
        let enrolledAt = try stored.time("enrolled_at")
        let lastUsedAt = try stored.optionalTime("last_used_at")
        let flaggedAt = try stored.optionalTime("flagged_at")
        return try stored.build("key") { () throws(DomainError) in
            try EnrolledKey(
                credentialID: credentialID, owner: owner, name: name, publicKey: publicKey, signCount: count,
                backupEligible: backupEligible, aaguid: aaguid, attestation: attestation, enrolledAt: enrolledAt,
                lastUsedAt: lastUsedAt, flaggedAt: flaggedAt
            )
        }
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
        try db.execute(
            sql: "INSERT INTO enrolment_invites (code_hash, username, created_by, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [
                Data(invite.codeHash), invite.user.rawValue, invite.createdBy.rawValue, invite.createdAt.millisecondsSinceEpoch,
                invite.expiresAt.millisecondsSinceEpoch, invite.usedAt?.millisecondsSinceEpoch,
            ]
        )
    }

    static func invite(_ codeHash: [UInt8], in db: Database) throws -> EnrolmentInvite? {
        try Row.fetchOne(
            db, sql: "SELECT code_hash, username, created_by, created_at, expires_at, used_at FROM enrolment_invites WHERE code_hash = ?",
            arguments: [Data(codeHash)]
        ).map { row throws(StoreError) in
            let stored = StoredRow(row: row, table: "enrolment_invites", key: "(code hash withheld)")
            return EnrolmentInvite(
                codeHash: try stored.bytes("code_hash", count: 32), user: try stored.domain("username", Username.init),
                createdBy: try stored.domain("created_by", Username.init), createdAt: try stored.time("created_at"),
                expiresAt: try stored.time("expires_at"), usedAt: try stored.optionalTime("used_at")
            )
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
        var purpose: String
        var random: Data?
        var target: Data?
        var requestID: String?
        var digest: Data?
        var nonce: Data?
        switch challenge.purpose {
        case .registration(let bytes):
            (purpose, random) = ("registration", Data(bytes))
        case .keyRemoval(let bytes, let credentialID):
            (purpose, random, target) = ("key_removal", Data(bytes), Data(credentialID))
        case .approval(let approval):
            purpose = "approval"
            (requestID, digest, nonce) = (approval.requestID.rawValue, Data(approval.contentDigest), Data(approval.nonce))
        }
        try db.executeCached(
            sql: """
                INSERT INTO ceremony_challenges (id, purpose, username, challenge, target_credential_id, request_id, content_digest,
                    nonce, issued_at, used_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                challenge.id, purpose, challenge.user.rawValue, random, target, requestID,
                digest, nonce, challenge.issuedAt.millisecondsSinceEpoch, challenge.usedAt?.millisecondsSinceEpoch,
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
            let user = try stored.domain("username", Username.init)
            let issuedAt = try stored.time("issued_at")
            let purpose: CeremonyChallenge.Purpose
            switch try stored.value("purpose", as: String.self) {
            case "registration":
                purpose = .registration(challenge: try stored.bytes("challenge", count: 32))
            case "key_removal":
                purpose = .keyRemoval(challenge: try stored.bytes("challenge", count: 32), credentialID: try stored.blob("target_credential_id"))
            case "approval":
                let requestID = try stored.domain("request_id", RequestID.init)
                let digest = try stored.bytes("content_digest", count: 32)
                let nonce = try stored.bytes("nonce", count: 32)
                purpose = .approval(try stored.build("approval challenge") { () throws(DomainError) in
                    try ApprovalChallenge(requestID: requestID, contentDigest: digest, approver: user, nonce: nonce, issuedAt: issuedAt)
                })
            default:
                throw stored.corrupt("unknown purpose")
            }
            return CeremonyChallenge(id: id, user: user, purpose: purpose, issuedAt: issuedAt, usedAt: try stored.optionalTime("used_at"))
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
