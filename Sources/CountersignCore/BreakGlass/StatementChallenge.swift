import Foundation

/// What a key signs to say something that is not an approval of a request (docs/canonical-
/// encoding.md §6): a user breaking glass with their own key, or a reviewer's verdict on a grant.
/// The WebAuthn challenge is a digest of the statement's kind, the person, the statement's own
/// digest and a fresh nonce, so a touch made for one ask, one verdict or one person cannot be
/// replayed for another, and an auditor re-derives it from the stored statement and nonce.
public struct StatementChallenge: Hashable, Sendable {
    public enum Statement: String, Hashable, Sendable, CaseIterable {
        /// `BreakGlassAsk.statementDigest(by:)`: this person asks this, now.
        case breakGlass = "break_glass"
        /// `BreakGlassReview.statementDigest(of:verdict:notes:)`: this verdict on this grant.
        case breakGlassReview = "break_glass_review"
    }

    public let statement: Statement
    public let person: Username
    /// The grant a review is about; nil for an ask, which has no grant yet.
    public let requestID: RequestID?
    public let digest: [UInt8]
    public let nonce: [UInt8]
    public let issuedAt: Date

    public init(statement: Statement, person: Username, requestID: RequestID?, digest: [UInt8], nonce: [UInt8], issuedAt: Date) throws(DomainError) {
        guard digest.count == 32 else { throw DomainError(.invalidField, "a statement digest is 32 bytes") }
        guard nonce.count == ApprovalChallenge.nonceLength else { throw DomainError(.invalidField, "a nonce is \(ApprovalChallenge.nonceLength) bytes") }
        guard (statement == .breakGlassReview) == (requestID != nil) else {
            throw DomainError(.invalidField, "a review's challenge names its grant, and only a review's")
        }
        self.statement = statement
        self.person = person
        self.requestID = requestID
        self.digest = digest
        self.nonce = nonce
        self.issuedAt = issuedAt.truncatedToMilliseconds
    }

    public static func issue<G: RandomNumberGenerator>(
        _ statement: Statement, by person: Username, about requestID: RequestID?, digest: [UInt8], at now: Date, using generator: inout G
    ) throws(DomainError) -> StatementChallenge {
        let nonce = (0..<ApprovalChallenge.nonceLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return try StatementChallenge(statement: statement, person: person, requestID: requestID, digest: digest, nonce: nonce, issuedAt: now)
    }

    public var encoding: CanonicalEncoding {
        var encoding = CanonicalEncoding(tag: "countersign/statement-challenge/v1")
        encoding.append(field: "statement", statement.rawValue)
        encoding.append(field: "person", person.rawValue)
        encoding.append(field: "request_id", requestID?.rawValue ?? "")
        encoding.append(bytes: digest)
        encoding.append(bytes: nonce)
        return encoding
    }

    /// The 32 bytes handed to `navigator.credentials.get` (or the CLI's authenticator).
    public var bytes: [UInt8] { encoding.sha256 }

    /// Whether this challenge was issued for exactly `statement` with `digest`, about `requestID`.
    public func binds(_ statement: Statement, digest: [UInt8], about requestID: RequestID?) -> Bool {
        self.statement == statement && self.digest == digest && self.requestID == requestID
    }
}

extension BreakGlassAsk {
    /// The digest of this ask as `user` makes it: what their key signs to break glass.
    public func statementDigest(by user: Username) -> [UInt8] {
        var encoding = CanonicalEncoding(tag: "countersign/break-glass-ask/v1")
        encoding.append(field: "user", user.rawValue)
        encoding.append(field: "host", host)
        encoding.append(field: "login", login)
        encoding.append(field: "incident", incident)
        encoding.append(field: "reason", reason)
        encoding.append(field: "duration_seconds", durationSeconds.map(String.init) ?? "")
        return encoding.sha256
    }
}

extension BreakGlassReview {
    /// The digest of a verdict on `grant` (its exact content): what the reviewer's key signs.
    public static func statementDigest(of grant: AccessRequest, verdict: Verdict, notes: String) -> [UInt8] {
        var encoding = CanonicalEncoding(tag: "countersign/break-glass-review/v1")
        encoding.append(field: "grant", grant.id.rawValue)
        encoding.append(field: "content_digest", grant.contentDigest)
        encoding.append(field: "verdict", verdict.rawValue)
        encoding.append(field: "notes", notes)
        return encoding.sha256
    }
}
