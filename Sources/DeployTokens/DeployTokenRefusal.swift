/// Why a deploy token was refused. `code` is stable (scripts and tests compare it); `reason` is
/// for people, and quotes nothing from the token but short printable names.
public struct DeployTokenRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// Not three base64url segments of JSON in the form the gateway writes them.
        case malformed
        case tooLarge = "too_large"
        /// `alg` other than EdDSA: none, HMAC, ECDSA, RSA, or a spelling of EdDSA.
        case algorithmNotAllowed = "algorithm_not_allowed"
        /// A header member a deploy token never has (`jku`, `jwk`, `x5c`, `crit`, ...).
        case headerNotAllowed = "header_not_allowed"
        /// No `kid`, or one the JWKS does not list.
        case unknownKey = "unknown_key"
        case badSignature = "bad_signature"
        case wrongAudience = "wrong_audience"
        case wrongIssuer = "wrong_issuer"
        case expired
        case notYetValid = "not_yet_valid"
        /// Another service, environment or commit than the one being deployed.
        case claimMismatch = "claim_mismatch"
        /// Signed, but with claims the gateway never writes (empty names, a window too long).
        case invalidClaims = "invalid_claims"
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}

/// Why a JWKS cannot be used to verify anything: not a token's fault, so deploy tooling reports it
/// apart from a refusal (the CLI exits 4, not 1).
public struct KeySetError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case tooLarge = "too_large"
        case malformed
        /// No Ed25519 signing key in it: no token could verify.
        case noUsableKey = "no_usable_key"
        /// One `kid` for two keys: which one a token means would be a guess.
        case ambiguousKey = "ambiguous_key"
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}
