import Foundation

// Machine tokens on the wire: deploy tooling's own credentials, managed by admins.

/// `POST /v1/admin/tokens`
public struct CreateMachineTokenBody: Codable, Sendable, Equatable {
    public let name: String
    public let scopes: [String]
    /// Globs over service names the token may act for; absent or empty for any service.
    public let services: [String]?
    /// Absent for the default, 90 days; at most 365 days.
    public let expiresInSeconds: Int?

    public init(name: String, scopes: [String], services: [String]? = nil, expiresInSeconds: Int? = nil) {
        self.name = name
        self.scopes = scopes
        self.services = services
        self.expiresInSeconds = expiresInSeconds
    }
}

/// A machine token as listed: what it may do and its life, never its secret or hash.
public struct MachineTokenView: Codable, Sendable, Equatable {
    public let name: String
    /// `active`, `expired` or `revoked`, as the gateway's clock has it.
    public let state: String
    /// `machine:<name>`: who the token is in audit rows.
    public let actor: String
    public let scopes: [String]
    /// Empty when the token acts for any service.
    public let services: [String]
    public let createdBy: String
    public let createdAt: Date
    public let expiresAt: Date
    public let revokedAt: Date?
    public let revokedBy: String?

    public init(
        name: String, state: String, actor: String, scopes: [String], services: [String], createdBy: String, createdAt: Date,
        expiresAt: Date, revokedAt: Date?, revokedBy: String?
    ) {
        self.name = name
        self.state = state
        self.actor = actor
        self.scopes = scopes
        self.services = services
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.revokedBy = revokedBy
    }
}

/// The answer to making a token: the secret is shown here once; the gateway keeps only its hash.
public struct CreatedMachineTokenView: Codable, Sendable, Equatable {
    public let token: MachineTokenView
    /// `csm_…`: deploy tooling presents it as `Authorization: Bearer …` (the CLI reads it from
    /// `COUNTERSIGN_TOKEN`).
    public let secret: String

    public init(token: MachineTokenView, secret: String) {
        self.token = token
        self.secret = secret
    }
}

/// `GET /v1/admin/tokens`
public struct MachineTokenListView: Codable, Sendable, Equatable {
    public let tokens: [MachineTokenView]
    public init(tokens: [MachineTokenView]) { self.tokens = tokens }
}

extension APIErrorCode {
    /// A machine token was presented to a route that acts for a person (answered 403).
    public static let machineTokenRefused = "machine_token_refused"
    /// A bearer value shaped as a machine token that the gateway never issued (answered 401).
    public static let machineTokenInvalid = "machine_token_invalid"
    /// A machine token's name is taken, by a live or a revoked token (answered 409).
    public static let machineTokenNameTaken = "token_name_taken"
}
