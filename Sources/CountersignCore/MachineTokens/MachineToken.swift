import Foundation

/// A credential an admin makes for deploy tooling, so that a pipeline authenticates as itself
/// and never with a person's session. The store knows it by the SHA-256 of its secret only.
public struct MachineToken: Hashable, Sendable {
    /// Who revoked a token, and when. Revocation is final: a revoked token never works again.
    public struct Revocation: Hashable, Sendable {
        public let at: Date
        public let by: Username

        public init(at: Date, by: Username) {
            self.at = at.truncatedToMilliseconds
            self.by = by
        }
    }

    public let name: MachineTokenName
    /// SHA-256 of the secret: what the store keeps and looks the token up by.
    public let secretHash: [UInt8]
    public let scopes: Set<MachineScope>
    /// The services the token acts for; empty for any service.
    public let services: [ServicePattern]
    public let createdBy: Username
    public let createdAt: Date
    public let expiresAt: Date
    public internal(set) var revocation: Revocation?

    public static let secretHashLength = 32

    public init(
        name: MachineTokenName, secretHash: [UInt8], scopes: Set<MachineScope>, services: [ServicePattern],
        createdBy: Username, createdAt: Date, expiresAt: Date, revocation: Revocation? = nil
    ) throws(DomainError) {
        guard secretHash.count == Self.secretHashLength else {
            throw DomainError(.invalidField, "a machine token's secret hash is \(Self.secretHashLength) bytes")
        }
        guard !scopes.isEmpty else {
            throw DomainError(.invalidField, "a machine token holds at least one scope")
        }
        guard services.count <= MachineTokenDraft.maximumServicePatterns, Set(services).count == services.count else {
            throw DomainError(.invalidField, "a machine token names at most \(MachineTokenDraft.maximumServicePatterns) distinct service patterns")
        }
        guard createdAt < expiresAt else {
            throw DomainError(.invalidField, "a machine token must expire after it is made")
        }
        self.name = name
        self.secretHash = secretHash
        self.scopes = scopes
        self.services = services
        self.createdBy = createdBy
        self.createdAt = createdAt.truncatedToMilliseconds
        self.expiresAt = expiresAt.truncatedToMilliseconds
        self.revocation = revocation
    }

    /// Who the token is in audit rows: `machine:<name>`, never confusable with a username.
    public var auditActor: String { name.auditActor }

    public var sortedScopes: [MachineScope] { scopes.sorted() }

    public func isExpired(at now: Date) -> Bool { now >= expiresAt }

    /// True when this is `earlier` as it stands or revoked: all a revocation may change. A
    /// revocation, once made, is never replaced or undone.
    public func isRevocation(of earlier: MachineToken) -> Bool {
        var unchanged = self
        unchanged.revocation = earlier.revocation
        return unchanged == earlier && (earlier.revocation == nil || revocation == earlier.revocation)
    }
}
