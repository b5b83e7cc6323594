import Foundation

/// What an approver's hardware key signs (docs/canonical-encoding.md §4): a digest binding the
/// request, its exact content, the approver and a fresh nonce. The WebAuthn challenge is these
/// 32 bytes, so a signature made for one request, one content or one person cannot be replayed
/// for another, and an auditor can re-derive it from the stored request and nonce alone.
public struct ApprovalChallenge: Hashable, Sendable {
    public static let nonceLength = 32
    /// Long enough to find and touch a key, short enough that an unattended page goes stale.
    public static let lifetime: TimeInterval = 5 * 60

    public let requestID: RequestID
    public let contentDigest: [UInt8]
    public let approver: Username
    public let nonce: [UInt8]
    public let issuedAt: Date

    public init(requestID: RequestID, contentDigest: [UInt8], approver: Username, nonce: [UInt8], issuedAt: Date) throws(DomainError) {
        guard contentDigest.count == 32 else { throw DomainError(.invalidField, "a content digest is 32 bytes") }
        guard nonce.count == Self.nonceLength else { throw DomainError(.invalidField, "an approval nonce is \(Self.nonceLength) bytes") }
        self.requestID = requestID
        self.contentDigest = contentDigest
        self.approver = approver
        self.nonce = nonce
        self.issuedAt = issuedAt.truncatedToMilliseconds
    }

    /// A new challenge for `approver` on `request`, with a nonce from `generator` (the system's
    /// CSPRNG in the gateway; a seeded one in tests).
    public static func issue<G: RandomNumberGenerator>(
        for request: AccessRequest, approver: Username, at now: Date, using generator: inout G
    ) -> ApprovalChallenge {
        let nonce = (0..<nonceLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        // The digest and nonce lengths are right by construction.
        return try! ApprovalChallenge(requestID: request.id, contentDigest: request.canonicalContent.sha256, approver: approver, nonce: nonce, issuedAt: now)
    }

    public var expiresAt: Date { issuedAt.addingTimeInterval(Self.lifetime) }

    public func isExpired(at now: Date) -> Bool { now >= expiresAt }

    public var encoding: CanonicalEncoding {
        var encoding = CanonicalEncoding(tag: "countersign/approval-challenge/v1")
        encoding.append(field: "request_id", requestID.rawValue)
        encoding.append(bytes: contentDigest)
        encoding.append(field: "approver", approver.rawValue)
        encoding.append(bytes: nonce)
        return encoding
    }

    /// The 32 bytes handed to `navigator.credentials.get` as the challenge.
    public var bytes: [UInt8] { encoding.sha256 }
}
