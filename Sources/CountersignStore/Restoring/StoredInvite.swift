import CountersignCore

/// An enrolment invite as the columns of its row, the same on every backend: only the SHA-256 of
/// its code is kept, and even that stays out of messages.
public struct StoredInvite: Sendable {
    public var codeHash: [UInt8]
    public var username: String
    public var createdBy: String
    public var createdAt: Int64
    public var expiresAt: Int64
    public var usedAt: Int64?

    public init(codeHash: [UInt8], username: String, createdBy: String, createdAt: Int64, expiresAt: Int64, usedAt: Int64?) {
        self.codeHash = codeHash
        self.username = username
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
    }

    public init(_ invite: EnrolmentInvite) {
        self.init(
            codeHash: invite.codeHash, username: invite.user.rawValue, createdBy: invite.createdBy.rawValue,
            createdAt: invite.createdAt.millisecondsSinceEpoch, expiresAt: invite.expiresAt.millisecondsSinceEpoch,
            usedAt: invite.usedAt?.millisecondsSinceEpoch
        )
    }

    public func restore() throws(StoreError) -> EnrolmentInvite {
        let row = RowRestorer(table: "enrolment_invites", key: "(code hash withheld)")
        return EnrolmentInvite(
            codeHash: try row.bytes(codeHash, "code_hash", count: 32), user: try row.domain(username, "username", Username.init),
            createdBy: try row.domain(createdBy, "created_by", Username.init), createdAt: row.time(createdAt),
            expiresAt: row.time(expiresAt), usedAt: row.time(usedAt)
        )
    }
}
