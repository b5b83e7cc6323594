import CountersignAPI
import Keyring
import WebAuthn

/// Signs deploy tokens through the keyring, which never hands out the private key. jwt-kit's
/// signers hold their key themselves, so the compact JWS (RFC 7515 §7.1) is put together here:
/// base64url(header) . base64url(claims) . base64url(Ed25519 signature over the first two).
public struct DeployTokenSigner: Sendable {
    public let signingKey: any SigningKey

    public init(signingKey: any SigningKey) {
        self.signingKey = signingKey
    }

    /// The `kid` of every token this signer makes.
    public var keyID: String { DeployTokenKeySet.keyID(of: signingKey.publicKey) }

    public func sign(_ claims: DeployTokenClaims) throws(KeyringError) -> SignedDeployToken {
        let keyID = keyID
        let header: [UInt8]
        let payload: [UInt8]
        do {
            header = try APIJSONEncoder.encode(DeployTokenHeader(kid: keyID))
            payload = try APIJSONEncoder.encode(claims)
        } catch {
            throw KeyringError(.signingFailed, "a deploy token could not be written")
        }
        let signingInput = Base64URL.encode(header) + "." + Base64URL.encode(payload)
        let signature = try signingKey.signature(for: Array(signingInput.utf8))
        return SignedDeployToken(compact: signingInput + "." + Base64URL.encode(signature), keyID: keyID, claims: claims)
    }
}

/// A signed deploy token, and what it says.
public struct SignedDeployToken: Hashable, Sendable {
    /// The token as deploy tooling receives it (`header.claims.signature`).
    public let compact: String
    public let keyID: String
    public let claims: DeployTokenClaims
}
