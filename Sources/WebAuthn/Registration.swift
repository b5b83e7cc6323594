import Crypto

/// A credential that passed registration, ready to be stored for its user.
public struct RegisteredCredential: Hashable, Sendable {
    public let id: [UInt8]
    public let publicKey: COSEKey
    public let signCount: UInt32
    public let aaguid: [UInt8]
    public let attestation: AttestationFormat
    /// The x5c certificates of a `packed-x5c` statement as sent (DER, leaf first); empty for
    /// `none` and self attestation. Whether they chain to a trusted root is `AttestationTrust`'s
    /// question, not the ceremony's.
    public let attestationCertificates: [[UInt8]]
    public let backupEligible: Bool
    public let userVerified: Bool

    /// What this credential's attestation proves, for `AttestationTrust.evaluate(_:at:)`.
    public var evidence: AttestationEvidence {
        AttestationEvidence(format: attestation, aaguid: aaguid, certificates: attestationCertificates)
    }
}

/// The attestation statement formats accepted (WebAuthn Level 3 §8.2 packed, §8.7 none).
public enum AttestationFormat: String, Hashable, Sendable {
    case none
    /// Packed self attestation: the statement is signed by the credential key itself.
    case packedSelf = "packed-self"
    /// Packed attestation signed by an attestation certificate meeting §8.2.1. The ceremony
    /// verifies the statement; only `AttestationTrust` with roots makes its model proven rather
    /// than claimed.
    case packedCertificate = "packed-x5c"
}

/// One registration ceremony (WebAuthn Level 3 §7.1) as the server set it up.
public struct RegistrationCeremony: Sendable {
    public static let maximumAttestationObjectLength = AttestationObject.maximumLength

    public let relyingParty: RelyingParty
    public let challenge: [UInt8]
    /// The `pubKeyCredParams` offered, in order: a key of any other algorithm is refused.
    public let algorithms: [COSEAlgorithm]
    public let userVerification: UserVerification

    /// Which authenticator models may register is `AttestationTrust`'s to decide: an AAGUID is
    /// only a claim until an attestation certificate chaining to a trusted root proves it.
    public init(
        relyingParty: RelyingParty, challenge: [UInt8], algorithms: [COSEAlgorithm] = [.es256, .edDSA],
        userVerification: UserVerification = .required
    ) {
        self.relyingParty = relyingParty
        self.challenge = challenge
        self.algorithms = algorithms
        self.userVerification = userVerification
    }

    public func verify(attestationObject: [UInt8], clientDataJSON: [UInt8]) throws(WebAuthnError) -> RegisteredCredential {
        try relyingParty.check(ClientData(json: clientDataJSON), type: "webauthn.create", challenge: challenge)
        let object = try AttestationObject(attestationObject)
        let data = object.authenticatorData
        try relyingParty.check(data, userVerification: userVerification)
        let credential = try object.attestedCredential()
        guard algorithms.contains(credential.publicKey.algorithm) else {
            throw WebAuthnError(.unsupportedKey, "the key's algorithm \(credential.publicKey.algorithm) was not offered")
        }
        let (attestation, certificates) = try Self.verifyStatement(
            format: object.format, object.statement, data: data, clientDataJSON: clientDataJSON, key: credential.publicKey
        )
        return RegisteredCredential(
            id: credential.credentialID, publicKey: credential.publicKey, signCount: data.signCount, aaguid: credential.aaguid,
            attestation: attestation, attestationCertificates: certificates,
            backupEligible: data.flags.contains(.backupEligible), userVerified: data.flags.contains(.userVerified)
        )
    }

    /// §8.7 none and §8.2 packed (self attestation, or x5c: then with its certificates).
    private static func verifyStatement(
        format: String, _ statement: CBORValue, data: AuthenticatorData, clientDataJSON: [UInt8], key: COSEKey
    ) throws(WebAuthnError) -> (AttestationFormat, certificates: [[UInt8]]) {
        guard case .map(let entries) = statement else { throw WebAuthnError(.malformedStructure, "attStmt is a map") }
        switch format {
        case "none":
            guard entries.isEmpty else { throw WebAuthnError(.malformedStructure, "a 'none' attestation statement must be empty") }
            return (.none, [])
        case "packed":
            if statement["x5c"] != nil {
                let certificates = try PackedAttestation.verify(
                    statement, signed: data.bytes + Array(SHA256.hash(data: clientDataJSON)), aaguid: data.attestedCredential?.aaguid ?? []
                )
                return (.packedCertificate, certificates)
            }
            guard entries.count == 2, let alg = statement["alg"]?.integer, case .bytes(let signature) = statement["sig"] else {
                throw WebAuthnError(.malformedStructure, "a packed self attestation statement is exactly alg and sig")
            }
            guard alg == key.algorithm.rawValue else {
                throw WebAuthnError(.attestationRefused, "self attestation algorithm \(alg) differs from the credential's")
            }
            let signed = data.bytes + Array(SHA256.hash(data: clientDataJSON))
            guard key.isValidSignature(signature, for: signed) else {
                throw WebAuthnError(.badSignature, "the self attestation signature does not verify")
            }
            return (.packedSelf, [])
        default:
            throw WebAuthnError(.unsupportedAttestation, "attestation format '\(format)' is not accepted")
        }
    }
}
