import CountersignAPI
import Crypto
import Foundation
import WebAuthn

/// The rollout deploy tooling is about to start: a token is good only for exactly this.
public struct DeployTokenExpectation: Hashable, Sendable {
    public let service: String
    public let environment: String
    public let commit: String
    /// The gateway's origin, when the caller knows which gateway must have signed.
    public let issuer: String?

    public init(service: String, environment: String, commit: String, issuer: String? = nil) {
        self.service = service
        self.environment = environment
        self.commit = commit
        self.issuer = issuer
    }
}

/// Checks a deploy token offline against a JWKS, trusting nothing in the token before its
/// signature has been checked with a key the JWKS lists, and nothing the gateway would not
/// have written after that.
public struct DeployTokenVerifier: Sendable {
    public static let maximumTokenSize = 8 * 1024
    /// How far the verifier's clock may be behind or ahead of the gateway's.
    public static let leeway: TimeInterval = 30
    /// The longest window a token of the gateway's spans: the longest a credential lives (a day)
    /// plus the minute its validity starts before issue.
    public static let longestValidity: TimeInterval = 24 * 60 * 60 + 60
    static let longestClaim = 512
    static let mostApprovers = 32

    public let keys: DeployTokenKeySet

    public init(keys: DeployTokenKeySet) {
        self.keys = keys
    }

    /// The token's claims if it is one the gateway signed, now valid, for exactly `expected`.
    public func verify(_ token: String, expecting expected: DeployTokenExpectation, at now: Date) throws(DeployTokenRefusal) -> DeployTokenClaims {
        let bytes = Array(token.utf8)
        guard bytes.count <= Self.maximumTokenSize else {
            throw DeployTokenRefusal(.tooLarge, "the token is larger than \(Self.maximumTokenSize / 1024) KiB; the gateway's are far smaller")
        }
        let segments = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard segments.count == 3,
              let headerJSON = Base64URL.decode(String(decoding: segments[0], as: UTF8.self)),
              let payloadJSON = Base64URL.decode(String(decoding: segments[1], as: UTF8.self)),
              let signature = Base64URL.decode(String(decoding: segments[2], as: UTF8.self))
        else {
            throw DeployTokenRefusal(.malformed, "a token is three segments of unpadded base64url joined by dots")
        }
        let key = try Self.trustedHeader(headerJSON, in: keys)
        // The signature covers the segments as written (RFC 7515 §5.2), checked before the claims
        // are read at all.
        let signingInput = Array(bytes[..<(segments[0].count + 1 + segments[1].count)])
        guard signature.count == 64, key.publicKey.isValidSignature(signature, for: signingInput) else {
            throw DeployTokenRefusal(.badSignature, "the signature is not that of key \(key.id) over this header and these claims")
        }
        let claims = try Self.claims(payloadJSON)
        try Self.check(claims, against: expected, at: now)
        return claims
    }

    /// The key the header names, once the header is exactly what the gateway writes: EdDSA, a
    /// `kid` the JWKS lists, `typ` JWT, and no other member.
    static func trustedHeader(_ json: [UInt8], in keys: DeployTokenKeySet) throws(DeployTokenRefusal) -> DeployTokenKeySet.Key {
        let names: [String]
        let found: FoundHeader
        do {
            names = try JSONDecoder().decode(JSONMemberNames.self, from: Data(json)).names
            found = try JSONDecoder().decode(FoundHeader.self, from: Data(json))
        } catch {
            throw DeployTokenRefusal(.malformed, "the header is not a JSON object of alg, kid and typ")
        }
        for name in names.sorted() where !DeployTokenHeader.members.contains(name) {
            if let why = DeployTokenHeader.refusedMembers[name] {
                throw DeployTokenRefusal(.headerNotAllowed, "the header's \(name) \(why); a deploy token's key comes only from the JWKS you trust")
            }
            throw DeployTokenRefusal(.headerNotAllowed, "the header has \(shown(name)), which deploy tokens never have")
        }
        guard found.alg == DeployTokenHeader.algorithm else {
            throw DeployTokenRefusal(.algorithmNotAllowed, "the header's alg is \(found.alg.map(shown) ?? "missing"); deploy tokens are EdDSA only")
        }
        guard let kid = found.kid else {
            throw DeployTokenRefusal(.unknownKey, "the header names no key (kid)")
        }
        guard let key = keys.key(withID: kid) else {
            throw DeployTokenRefusal(.unknownKey, "the header names key \(shown(kid)), which the JWKS does not list")
        }
        guard found.typ == DeployTokenHeader.type else {
            throw DeployTokenRefusal(.malformed, "the header's typ is \(found.typ.map(shown) ?? "missing"), not JWT")
        }
        try requireCanonical(json, DeployTokenHeader(kid: kid), part: "header")
        return key
    }

    static func claims(_ json: [UInt8]) throws(DeployTokenRefusal) -> DeployTokenClaims {
        let claims: DeployTokenClaims
        do {
            claims = try JSONDecoder().decode(DeployTokenClaims.self, from: Data(json))
        } catch {
            throw DeployTokenRefusal(.malformed, "the claims are not those of a deploy token (a claim missing or of the wrong type)")
        }
        // A claim this verifier does not know might restrict the token in a way it cannot enforce.
        try requireCanonical(json, claims, part: "claims")
        return claims
    }

    /// Refuses JSON other than the gateway's own spelling of `value` (sorted members, no spaces,
    /// minimal escapes): a member repeated, whose meaning JSON leaves to each reader (RFC 8259 §4),
    /// a member the value does not have, or another spelling of the same text.
    static func requireCanonical(_ json: [UInt8], _ value: some Encodable, part: String) throws(DeployTokenRefusal) {
        guard (try? APIJSONEncoder.encode(value)) == json else {
            throw DeployTokenRefusal(.malformed, "the \(part) are not in the form the gateway writes (a member repeated or unknown, spaces, or other escapes)")
        }
    }

    static func check(_ claims: DeployTokenClaims, against expected: DeployTokenExpectation, at now: Date) throws(DeployTokenRefusal) {
        guard claims.audience == DeployTokenClaims.deployAudience else {
            throw DeployTokenRefusal(.wrongAudience, "the token is for \(shown(claims.audience)), not for deploys")
        }
        try checkShape(claims)
        // Not `iat`: the gateway starts `nbf` a minute before issue for clocks running behind its own.
        guard now.addingTimeInterval(leeway) >= claims.notBefore else {
            throw DeployTokenRefusal(.notYetValid, "the token is valid only from \(APITime.format(claims.notBefore)); check this machine's clock")
        }
        guard now < claims.expiresAt.addingTimeInterval(leeway) else {
            throw DeployTokenRefusal(.expired, "the token expired at \(APITime.format(claims.expiresAt)); ask for a new one while the approval lasts")
        }
        if let issuer = expected.issuer, claims.issuer != issuer {
            throw DeployTokenRefusal(.wrongIssuer, "the token was issued by \(shown(claims.issuer)), not \(shown(issuer))")
        }
        for (name, found, wanted) in [
            ("service", claims.service, expected.service), ("environment", claims.environment, expected.environment),
            ("commit", claims.commit, expected.commit),
        ] where found != wanted {
            throw DeployTokenRefusal(.claimMismatch, "the token approves \(name) \(shown(found)), not \(shown(wanted))")
        }
    }

    /// What the gateway always writes: short printable names, one to a few approvers each named
    /// once, a window of at most a day that starts no later than issue.
    static func checkShape(_ claims: DeployTokenClaims) throws(DeployTokenRefusal) {
        let names = [claims.issuer, claims.subject, claims.tokenID, claims.requestID, claims.service, claims.environment, claims.commit]
            + claims.approvers.map(\.name)
        guard names.allSatisfy(isPrintableName) else {
            throw DeployTokenRefusal(.invalidClaims, "a claim is empty, too long or has characters the gateway never writes")
        }
        guard (1...mostApprovers).contains(claims.approvers.count), Set(claims.approvers.map(\.name)).count == claims.approvers.count else {
            throw DeployTokenRefusal(.invalidClaims, "the token names no approver, too many, or one twice")
        }
        guard claims.notBefore <= claims.issuedAt, claims.issuedAt < claims.expiresAt,
              claims.expiresAt.timeIntervalSince(claims.notBefore) <= longestValidity
        else {
            throw DeployTokenRefusal(.invalidClaims, "the token's window is not one the gateway gives (longer than a day, or ending before it starts)")
        }
    }

    static func isPrintableName(_ text: String) -> Bool {
        (1...longestClaim).contains(text.utf8.count) && text.unicodeScalars.allSatisfy { !$0.properties.generalCategory.isControlOrFormat }
    }

    /// Text from a token, quoted when short and printable ASCII so that a reason never carries
    /// control characters to a terminal.
    static func shown(_ text: String) -> String {
        text.utf8.count <= 64 && text.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) ? "'\(text)'" : "an unprintable value"
    }
}

private extension Unicode.GeneralCategory {
    var isControlOrFormat: Bool {
        switch self {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned: true
        default: false
        }
    }
}
