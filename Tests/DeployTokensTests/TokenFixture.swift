import DeployTokens
import Foundation
import Keyring
import Testing
import WebAuthn

/// One gateway's deploy-token key, its JWKS, and a token it signed for payments-api to production,
/// all at a fixed time.
struct TokenFixture {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let issuer = "https://countersign.example.com"
    static let commit = "0123456789abcdef0123456789abcdef01234567"
    static let expected = DeployTokenExpectation(service: "payments-api", environment: "production", commit: commit, issuer: issuer)

    let key: any SigningKey
    let signer: DeployTokenSigner
    let keys: DeployTokenKeySet

    init() throws {
        key = try EphemeralKeyring().signingKey(for: .deployTokens)
        signer = DeployTokenSigner(signingKey: key)
        keys = DeployTokenKeySet(publicKeys: [key.publicKey])
    }

    static func claims(
        subject: String = "bob", audience: String = DeployTokenClaims.deployAudience, service: String = "payments-api",
        environment: String = "production", commit: String = commit,
        approvers: [DeployTokenApprover] = [.init(name: "carol", method: .hardwareKey), .init(name: "dave", method: .session)],
        notBefore: Date = now.addingTimeInterval(-60), expiresAt: Date = now.addingTimeInterval(1800)
    ) -> DeployTokenClaims {
        DeployTokenClaims(
            issuer: issuer, subject: subject, audience: audience, tokenID: "42", requestID: "0123456789abcdefghjk",
            service: service, environment: environment, commit: commit, approvers: approvers,
            issuedAt: now, notBefore: notBefore, expiresAt: expiresAt
        )
    }

    func token(_ claims: DeployTokenClaims = claims()) throws -> String {
        try signer.sign(claims).compact
    }

    /// A token put together from raw JSON, signed by `signer` (the listed key unless told
    /// otherwise) over exactly those bytes.
    func forge(header: String, payload: String, signedBy signer: (any SigningKey)? = nil) throws -> String {
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        return input + "." + Base64URL.encode(try (signer ?? key).signature(for: Array(input.utf8)))
    }

    var header: String { #"{"alg":"EdDSA","kid":"\#(signer.keyID)","typ":"JWT"}"# }

    /// The claims as the gateway writes them, as text to edit.
    var payload: String {
        get throws {
            let parts = try token().split(separator: ".")
            return String(decoding: try #require(Base64URL.decode(String(parts[1]))), as: UTF8.self)
        }
    }

    func verify(_ token: String, expecting expected: DeployTokenExpectation = expected, at now: Date = now) throws(DeployTokenRefusal) -> DeployTokenClaims {
        try DeployTokenVerifier(keys: keys).verify(token, expecting: expected, at: now)
    }

    /// The refusal's code, or nil when the token verified.
    func refusal(_ token: String, expecting expected: DeployTokenExpectation = expected, at now: Date = now) -> DeployTokenRefusal.Code? {
        do {
            _ = try verify(token, expecting: expected, at: now)
            return nil
        } catch {
            return error.code
        }
    }
}
