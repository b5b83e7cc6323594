import CountersignCore

/// A machine token as the columns of its row, the same on every backend: the SHA-256 of its
/// secret (kept out of every message), its scopes and service patterns as JSON lists of text.
public struct StoredMachineToken: Sendable {
    public static let columns = "name, secret_hash, scopes, services, created_by, created_at, expires_at, revoked_at, revoked_by"

    public var name: String
    public var secretHash: [UInt8]
    public var scopes: String
    public var services: String
    public var createdBy: String
    public var createdAt: Int64
    public var expiresAt: Int64
    public var revokedAt: Int64?
    public var revokedBy: String?

    public init(
        name: String, secretHash: [UInt8], scopes: String, services: String, createdBy: String, createdAt: Int64, expiresAt: Int64,
        revokedAt: Int64?, revokedBy: String?
    ) {
        self.name = name
        self.secretHash = secretHash
        self.scopes = scopes
        self.services = services
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.revokedBy = revokedBy
    }

    public init(_ token: MachineToken) {
        self.init(
            name: token.name.rawValue, secretHash: token.secretHash, scopes: StoredJSON.encode(token.sortedScopes.map(\.rawValue)),
            services: StoredJSON.encode(token.services.map(\.description)), createdBy: token.createdBy.rawValue,
            createdAt: token.createdAt.millisecondsSinceEpoch, expiresAt: token.expiresAt.millisecondsSinceEpoch,
            revokedAt: token.revocation?.at.millisecondsSinceEpoch, revokedBy: token.revocation?.by.rawValue
        )
    }

    public func restore() throws(StoreError) -> MachineToken {
        // Named by its name: a token's name is no secret, and its hash stays out of messages.
        let row = RowRestorer(table: "machine_tokens", key: name)
        let name = try row.domain(name, "name", MachineTokenName.init)
        let secretHash = try row.bytes(secretHash, "secret_hash", count: MachineToken.secretHashLength)
        let scopeTexts = try row.json(scopes, "scopes") { reader throws(StoredJSONReader.Failure) in try reader.readStringList() }
        let serviceTexts = try row.json(services, "services") { reader throws(StoredJSONReader.Failure) in try reader.readStringList() }
        let createdBy = try row.domain(createdBy, "created_by", Username.init)
        let revocation: MachineToken.Revocation?
        switch (revokedAt, revokedBy) {
        case (nil, nil): revocation = nil
        case (let at?, let by?): revocation = MachineToken.Revocation(at: row.time(at), by: try row.domain(by, "revoked_by", Username.init))
        default: throw row.corrupt("revoked_at and revoked_by must be set together")
        }
        return try row.build("machine token") { () throws(DomainError) in
            var scopes: Set<MachineScope> = []
            for text in scopeTexts { scopes.insert(try MachineScope(parsing: text)) }
            var services: [ServicePattern] = []
            for text in serviceTexts { services.append(try ServicePattern(text)) }
            return try MachineToken(
                name: name, secretHash: secretHash, scopes: scopes, services: services, createdBy: createdBy,
                createdAt: row.time(createdAt), expiresAt: row.time(expiresAt), revocation: revocation
            )
        }
    }
}
