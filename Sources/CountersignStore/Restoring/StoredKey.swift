import CountersignCore

/// An enrolled hardware key as the columns of its row, the same on every backend.
public struct StoredKey: Sendable {
    public var credentialID: [UInt8]
    public var owner: String
    public var name: String
    public var publicKey: [UInt8]
    public var signCount: Int64
    public var backupEligible: Bool
    public var aaguid: [UInt8]
    public var attestation: String
    public var enrolledAt: Int64
    public var lastUsedAt: Int64?
    public var flaggedAt: Int64?

    public init(
        credentialID: [UInt8], owner: String, name: String, publicKey: [UInt8], signCount: Int64, backupEligible: Bool,
        aaguid: [UInt8], attestation: String, enrolledAt: Int64, lastUsedAt: Int64?, flaggedAt: Int64?
    ) {
        self.credentialID = credentialID
        self.owner = owner
        self.name = name
        self.publicKey = publicKey
        self.signCount = signCount
        self.backupEligible = backupEligible
        self.aaguid = aaguid
        self.attestation = attestation
        self.enrolledAt = enrolledAt
        self.lastUsedAt = lastUsedAt
        self.flaggedAt = flaggedAt
    }

    public init(_ key: EnrolledKey) {
        self.init(
            credentialID: key.credentialID, owner: key.owner.rawValue, name: key.name, publicKey: key.publicKey,
            signCount: Int64(key.signCount), backupEligible: key.backupEligible, aaguid: key.aaguid,
            attestation: key.attestation, enrolledAt: key.enrolledAt.millisecondsSinceEpoch,
            lastUsedAt: key.lastUsedAt?.millisecondsSinceEpoch, flaggedAt: key.flaggedAt?.millisecondsSinceEpoch
        )
    }

    /// The key a row is kept under in messages: the credential id's first bytes, as `shortID`.
    public static func messageKey(_ credentialID: [UInt8]) -> String {
        credentialID.prefix(8).hexString
    }

    public func restore() throws(StoreError) -> EnrolledKey {
        let row = RowRestorer(table: "enrolled_keys", key: Self.messageKey(credentialID))
        guard let count = UInt32(exactly: signCount) else { throw row.corrupt("sign_count is out of range") }
        let owner = try row.domain(owner, "owner", Username.init)
        let aaguid = try row.bytes(aaguid, "aaguid", count: 16)
        return try row.build("key") { () throws(DomainError) in
            try EnrolledKey(
                credentialID: credentialID, owner: owner, name: name, publicKey: publicKey, signCount: count,
                backupEligible: backupEligible, aaguid: aaguid, attestation: attestation, enrolledAt: row.time(enrolledAt),
                lastUsedAt: row.time(lastUsedAt), flaggedAt: row.time(flaggedAt)
            )
        }
    }
}
