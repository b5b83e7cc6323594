import Foundation

public struct LoginBody: Codable, Sendable {
    public let username: String
    public let password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}

public struct LoginResponse: Codable, Sendable, Equatable {
    /// The bearer token. Shown once; the gateway keeps only its SHA-256.
    public let token: String
    public let username: String
    public let groups: [String]
    public let expiresAt: Date

    public init(token: String, username: String, groups: [String], expiresAt: Date) {
        self.token = token
        self.username = username
        self.groups = groups
        self.expiresAt = expiresAt
    }
}

public struct IdentityView: Codable, Sendable, Equatable {
    public let username: String
    public let groups: [String]
    public let sessionExpiresAt: Date

    public init(username: String, groups: [String], sessionExpiresAt: Date) {
        self.username = username
        self.groups = groups
        self.sessionExpiresAt = sessionExpiresAt
    }
}
