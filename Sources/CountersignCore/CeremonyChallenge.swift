import Foundation

/// A WebAuthn challenge the gateway handed out and will accept once: to enrol a key, or to
/// approve one request with one. Stored server-side; the browser only ever sees the bytes.
public struct CeremonyChallenge: Hashable, Sendable {
    public enum Purpose: Hashable, Sendable {
        /// `navigator.credentials.create` with these 32 random bytes.
        case registration(challenge: [UInt8])
        case approval(ApprovalChallenge)
        /// `navigator.credentials.get` with these random bytes, answered by one of the user's
        /// other keys, to remove the key `credentialID`.
        case keyRemoval(challenge: [UInt8], credentialID: [UInt8])
        /// A touch that says something other than an approval: breaking glass, a review's verdict.
        case statement(StatementChallenge)
    }

    /// The most challenges one user may hold open at once: a page reloaded in a loop cannot
    /// grow the table without bound.
    public static let maximumOpenPerUser = 16

    public let id: String
    public let user: Username
    public let purpose: Purpose
    public let issuedAt: Date
    public internal(set) var usedAt: Date?

    public init(id: String, user: Username, purpose: Purpose, issuedAt: Date, usedAt: Date? = nil) {
        self.id = id
        self.user = user
        self.purpose = purpose
        self.issuedAt = issuedAt.truncatedToMilliseconds
        self.usedAt = usedAt
    }

    public var expiresAt: Date { issuedAt.addingTimeInterval(ApprovalChallenge.lifetime) }

    /// The bytes the authenticator signs.
    public var challengeBytes: [UInt8] {
        switch purpose {
        case .registration(let challenge), .keyRemoval(let challenge, _): challenge
        case .approval(let approval): approval.bytes
        case .statement(let statement): statement.bytes
        }
    }

    /// Checks that `user` may answer this challenge now, and returns it spent.
    public func redeem(by user: Username, at now: Date) throws(DomainError) -> CeremonyChallenge {
        guard user == self.user else {
            throw DomainError(.forbidden, "this challenge was issued to someone else")
        }
        guard usedAt == nil else {
            throw DomainError(.invalidState, "this challenge has already been answered; start again")
        }
        guard now < expiresAt else {
            throw DomainError(.requestExpired, "this challenge has expired; start again")
        }
        var spent = self
        spent.usedAt = now.truncatedToMilliseconds
        return spent
    }
}
