import Foundation

/// A hardware security key enrolled for a user. The core keeps the WebAuthn parts as bytes;
/// the WebAuthn module reads them.
public struct EnrolledKey: Hashable, Sendable {
    public static let maximumNameLength = 64

    public let credentialID: [UInt8]
    public let owner: Username
    public let name: String
    /// The COSE public key, as the authenticator encoded it at registration.
    public let publicKey: [UInt8]
    public internal(set) var signCount: UInt32
    public let backupEligible: Bool
    public let aaguid: [UInt8]
    /// `none` or `packed-self`: what the authenticator proved about itself at registration.
    public let attestation: String
    public let enrolledAt: Date
    public internal(set) var lastUsedAt: Date?
    /// Set when a signature counter failed to grow: the key may have been cloned, and is refused
    /// until an admin looks at it.
    public internal(set) var flaggedAt: Date?

    public init(
        credentialID: [UInt8], owner: Username, name: String, publicKey: [UInt8], signCount: UInt32, backupEligible: Bool,
        aaguid: [UInt8], attestation: String, enrolledAt: Date, lastUsedAt: Date? = nil, flaggedAt: Date? = nil
    ) throws(DomainError) {
        try Self.checkName(name)
        self.credentialID = credentialID
        self.owner = owner
        self.name = name
        self.publicKey = publicKey
        self.signCount = signCount
        self.backupEligible = backupEligible
        self.aaguid = aaguid
        self.attestation = attestation
        self.enrolledAt = enrolledAt.truncatedToMilliseconds
        self.lastUsedAt = lastUsedAt
        self.flaggedAt = flaggedAt
    }

    /// A label the owner reads in lists ("YubiKey 5C, desk"): one printable line.
    public static func checkName(_ name: String) throws(DomainError) {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, name.count <= maximumNameLength,
              !name.unicodeScalars.contains(where: FieldRules.isHidden)
        else {
            throw DomainError(.invalidField, "a key name is 1 to \(maximumNameLength) printable characters on one line")
        }
    }

    /// The key after a verified use: the new counter and when.
    public func used(signCount: UInt32, at now: Date) -> EnrolledKey {
        var next = self
        next.signCount = signCount
        next.lastUsedAt = now.truncatedToMilliseconds
        return next
    }

    /// The key after a counter that did not grow.
    public func flagged(at now: Date) -> EnrolledKey {
        var next = self
        next.flaggedAt = now.truncatedToMilliseconds
        return next
    }

    /// A short, stable name for logs and audit rows: the first 8 bytes of the id in hex.
    public var shortID: String { credentialID.prefix(8).hexString }
}

/// A one-time code an admin gives a user so they can enrol a key. Only its SHA-256 is stored.
public struct EnrolmentInvite: Hashable, Sendable {
    /// A day: time to walk to a colleague's desk, short enough that a leaked code goes stale.
    public static let lifetime: TimeInterval = 24 * 3600

    public let codeHash: [UInt8]
    public let user: Username
    public let createdBy: Username
    public let createdAt: Date
    public let expiresAt: Date
    public internal(set) var usedAt: Date?

    public init(codeHash: [UInt8], user: Username, createdBy: Username, createdAt: Date, expiresAt: Date? = nil, usedAt: Date? = nil) {
        self.codeHash = codeHash
        self.user = user
        self.createdBy = createdBy
        self.createdAt = createdAt.truncatedToMilliseconds
        self.expiresAt = (expiresAt ?? createdAt.addingTimeInterval(Self.lifetime)).truncatedToMilliseconds
        self.usedAt = usedAt
    }

    /// Checks the invite lets `user` enrol now, and returns it spent.
    public func redeem(by user: Username, at now: Date) throws(DomainError) -> EnrolmentInvite {
        guard user == self.user else {
            throw DomainError(.forbidden, "this invite code was made for someone else")
        }
        guard usedAt == nil else {
            throw DomainError(.invalidState, "this invite code has already been used")
        }
        guard now < expiresAt else {
            throw DomainError(.requestExpired, "this invite code has expired; ask an admin for a new one")
        }
        var spent = self
        spent.usedAt = now.truncatedToMilliseconds
        return spent
    }
}

/// The rules of enrolled keys, stated once for the server, the pages and every store.
public enum HardwareKeyRules {
    /// A key counts while it is not flagged as possibly cloned.
    public static func isUsable(_ key: EnrolledKey) -> Bool {
        key.flaggedAt == nil
    }

    /// The keys whose touch may remove `target`: the owner's other usable keys. A key never
    /// vouches for its own removal, or whoever holds only that key (a thief) could remove it.
    public static func keysVouchingForRemoval(of target: [UInt8], among keys: [EnrolledKey]) -> [EnrolledKey] {
        keys.filter { $0.credentialID != target && isUsable($0) }
    }

    /// Holds the key that answered a removal ceremony to the rule above, inside the transaction
    /// that removes `target`.
    public static func checkRemoval(of target: [UInt8], owner: Username, vouchedBy used: EnrolledKey) throws(DomainError) {
        guard used.owner == owner, used.credentialID != target, isUsable(used) else {
            throw DomainError(.forbidden, "a key is removed with a touch of another of your keys, or by an admin")
        }
    }
}
