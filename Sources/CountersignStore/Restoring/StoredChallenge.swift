import CountersignCore

/// A ceremony challenge as the columns of its row, the same on every backend: the purpose decides
/// which of the optional columns are set (the schema's CHECKs hold the same shape).
public struct StoredChallenge: Sendable {
    public var id: String
    /// `registration`, `approval` or `key_removal`.
    public var purpose: String
    public var username: String
    /// The random bytes of a registration or key-removal challenge.
    public var challenge: [UInt8]?
    public var targetCredentialID: [UInt8]?
    public var requestID: String?
    public var contentDigest: [UInt8]?
    public var nonce: [UInt8]?
    public var issuedAt: Int64
    public var usedAt: Int64?

    public init(
        id: String, purpose: String, username: String, challenge: [UInt8]?, targetCredentialID: [UInt8]?, requestID: String?,
        contentDigest: [UInt8]?, nonce: [UInt8]?, issuedAt: Int64, usedAt: Int64?
    ) {
        self.id = id
        self.purpose = purpose
        self.username = username
        self.challenge = challenge
        self.targetCredentialID = targetCredentialID
        self.requestID = requestID
        self.contentDigest = contentDigest
        self.nonce = nonce
        self.issuedAt = issuedAt
        self.usedAt = usedAt
    }

    public init(_ challenge: CeremonyChallenge) {
        let (purpose, random, target): (String, [UInt8]?, [UInt8]?)
        var approval: ApprovalChallenge?
        switch challenge.purpose {
        case .registration(let bytes):
            (purpose, random, target) = ("registration", bytes, nil)
        case .keyRemoval(let bytes, let credentialID):
            (purpose, random, target) = ("key_removal", bytes, credentialID)
        case .approval(let answered):
            (purpose, random, target) = ("approval", nil, nil)
            approval = answered
        }
        self.init(
            id: challenge.id, purpose: purpose, username: challenge.user.rawValue, challenge: random, targetCredentialID: target,
            requestID: approval?.requestID.rawValue, contentDigest: approval?.contentDigest, nonce: approval?.nonce,
            issuedAt: challenge.issuedAt.millisecondsSinceEpoch, usedAt: challenge.usedAt?.millisecondsSinceEpoch
        )
    }

    public func restore() throws(StoreError) -> CeremonyChallenge {
        let row = RowRestorer(table: "ceremony_challenges", key: id)
        let user = try row.domain(username, "username", Username.init)
        let issuedAt = row.time(issuedAt)
        func required<Value>(_ value: Value?, _ column: String) throws(StoreError) -> Value {
            guard let value else { throw row.corrupt("\(column) is missing") }
            return value
        }
        let restored: CeremonyChallenge.Purpose
        switch purpose {
        case "registration":
            restored = .registration(challenge: try row.bytes(try required(challenge, "challenge"), "challenge", count: 32))
        case "key_removal":
            restored = .keyRemoval(
                challenge: try row.bytes(try required(challenge, "challenge"), "challenge", count: 32),
                credentialID: try required(targetCredentialID, "target_credential_id")
            )
        case "approval":
            let requestID = try row.domain(try required(requestID, "request_id"), "request_id", RequestID.init)
            let digest = try row.bytes(try required(contentDigest, "content_digest"), "content_digest", count: 32)
            let nonce = try row.bytes(try required(nonce, "nonce"), "nonce", count: 32)
            restored = .approval(try row.build("approval challenge") { () throws(DomainError) in
                try ApprovalChallenge(requestID: requestID, contentDigest: digest, approver: user, nonce: nonce, issuedAt: issuedAt)
            })
        default:
            throw row.corrupt("unknown purpose")
        }
        return CeremonyChallenge(id: id, user: user, purpose: restored, issuedAt: issuedAt, usedAt: row.time(usedAt))
    }
}
