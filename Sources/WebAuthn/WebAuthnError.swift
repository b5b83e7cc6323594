/// Why a WebAuthn input was refused. `code` is stable (tests and the HTTP layer compare it);
/// `reason` is for people and never carries key material or signatures.
public struct WebAuthnError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable {
        /// The CBOR is malformed, or uses a feature WebAuthn never needs (see `CBORDecoder`).
        case malformedCBOR = "malformed_cbor"
        /// Well-formed CBOR, but not the structure the spec section describes.
        case malformedStructure = "malformed_structure"
        case malformedClientData = "malformed_client_data"
        case unsupportedKey = "unsupported_key"
        case invalidKey = "invalid_key"
        case unsupportedAttestation = "unsupported_attestation"
        case attestationRefused = "attestation_refused"
        /// Attestation roots are required, and this registration's attestation does not chain to
        /// one at the ceremony's time (no statement, self attestation, another root, expired).
        case attestationUntrusted = "attestation_untrusted"
        /// The authenticator's model (AAGUID) is not on the accepted list.
        case authenticatorNotAllowed = "authenticator_not_allowed"
        /// The trust given to a ceremony cannot be used: a root that is not DER X.509, an AAGUID
        /// that is not 16 bytes, or an AAGUID list without roots to prove any AAGUID by.
        case invalidTrustConfiguration = "invalid_trust_configuration"
        case typeMismatch = "type_mismatch"
        case challengeMismatch = "challenge_mismatch"
        case originMismatch = "origin_mismatch"
        case crossOrigin = "cross_origin"
        case relyingPartyMismatch = "relying_party_mismatch"
        case userNotPresent = "user_not_present"
        case userNotVerified = "user_not_verified"
        case backupStateInconsistent = "backup_state_inconsistent"
        case unknownCredential = "unknown_credential"
        case userHandleMismatch = "user_handle_mismatch"
        case badSignature = "bad_signature"
        /// The sign counter did not grow: the credential may have been cloned.
        case signCountNotIncreased = "sign_count_not_increased"
        case inputTooLarge = "input_too_large"
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }

    /// Equality on the code alone, so tests can compare against `WebAuthnError(.code, "")`.
    public static func == (lhs: WebAuthnError, rhs: WebAuthnError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
