import Crypto
import CountersignCore
import Foundation

/// A logged-in browser or CLI. The store knows the session by the SHA-256 of its token only, so a
/// copy of the database (or a backup) lets nobody log in.
public struct LoginSession: Hashable, Sendable {
    public let tokenHash: [UInt8]
    public let username: Username
    public let createdAt: Date
    public let expiresAt: Date

    public init(tokenHash: [UInt8], username: Username, createdAt: Date, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.username = username
        self.createdAt = createdAt.truncatedToMilliseconds
        self.expiresAt = expiresAt.truncatedToMilliseconds
    }

    /// The hash under which the session for `token` is stored and looked up.
    public static func tokenHash(of token: some Sequence<UInt8>) -> [UInt8] {
        Array(SHA256.hash(data: Array(token)))
    }

    public func isValid(at now: Date) -> Bool { now < expiresAt }
}
