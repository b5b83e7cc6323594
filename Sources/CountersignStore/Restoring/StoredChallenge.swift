import CountersignCore

/// A ceremony challenge as the columns of its row, the same on every backend: the purpose decides
/// which of the optional columns are set (the schema's CHECKs hold the same shape).
public struct StoredChallenge: Sendable {
    public var id: String
    /// `registration`, `approval`, `key_removal`, or a statement's kind (`break_glass`,
    /// `break_glass_review`).
    public var purpose: String
    public var username: String
    /// The random bytes of a registration or key-removal challenge.
    public var challenge: [UInt8]?
    public var targetCredentialID: [UInt8]?
    /// The request an approval is of, or the grant a review is about.
    public var requestID: String?
    /// An approval's request content digest, or a statement's own digest.
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
        var random: [UInt8]?, target: [UInt8]?, requestID: String?, digest: [UInt8]?, nonce: [UInt8]?
        let purpose: String
        switch challenge.purpose {
        case .registration(let bytes):
            (purpose, random) = ("registration", bytes)
        case .keyRemoval(let bytes, let credentialID):
            (purpose, random, target) = ("key_removal", bytes, credentialID)
        case .approval(let approval):
            (purpose, requestID, digest, nonce) = ("approval", approval.requestID.rawValue, approval.contentDigest, approval.nonce)
        case .statement(let statement):
            // The person and time are the challenge's own columns: a statement is issued to the
            // one who answers it, when the challenge is.
            (purpose, requestID, digest, nonce) = (statement.statement.rawValue, statement.requestID?.rawValue, statement.digest, statement.nonce)
        }
        self.init(
            id: challenge.id, purpose: purpose, username: challenge.user.rawValue, challenge: random, targetCredentialID: target,
            requestID: requestID, contentDigest: digest, nonce: nonce,
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
        case let name:
            guard let statement = StatementChallenge.Statement(rawValue: name) else { throw row.corrupt("unknown purpose") }
            let requestID = try requestID.map { raw throws(StoreError) in try row.domain(raw, "request_id", RequestID.init) }
            let digest = try row.bytes(try required(contentDigest, "content_digest"), "content_digest", count: 32)
            let nonce = try row.bytes(try required(nonce, "nonce"), "nonce", count: 32)
            guard challenge == nil, targetCredentialID == nil else { throw row.corrupt("a statement challenge with random bytes or a key to remove") }
            restored = .statement(try row.build("statement challenge") { () throws(DomainError) in
                try StatementChallenge(statement: statement, person: user, requestID: requestID, digest: digest, nonce: nonce, issuedAt: issuedAt)
            })
        }
        return CeremonyChallenge(id: id, user: user, purpose: restored, issuedAt: issuedAt, usedAt: row.time(usedAt))
    }
}
