import Crypto

/// A credential that passed registration, ready to be stored for its user.
public struct RegisteredCredential: Hashable, Sendable {
    public let id: [UInt8]
    public let publicKey: COSEKey
    public let signCount: UInt32
    public let aaguid: [UInt8]
    public let attestation: AttestationFormat
    public let backupEligible: Bool
    public let userVerified: Bool
}

/// The attestation statement formats accepted (WebAuthn Level 3 §8.2 packed, §8.7 none).
public enum AttestationFormat: String, Hashable, Sendable {
    case none
    /// Packed self attestation: the statement is signed by the credential key itself.
    case packedSelf = "packed-self"
    /// Packed attestation signed by an attestation certificate meeting §8.2.1. Which roots such
    /// certificates must chain to is not checked yet: the model is claimed, not proven.
    case packedCertificate = "packed-x5c"
}

/// One registration ceremony (WebAuthn Level 3 §7.1) as the server set it up.
public struct RegistrationCeremony: Sendable {
    public static let maximumAttestationObjectLength = 16 * 1024

    public let relyingParty: RelyingParty
    public let challenge: [UInt8]
    /// The `pubKeyCredParams` offered, in order: a key of any other algorithm is refused.
    public let algorithms: [COSEAlgorithm]
    public let userVerification: UserVerification
    /// When set, only authenticators of these models (AAGUIDs) may register.
    public let allowedAAGUIDs: Set<[UInt8]>?

    public init(
        relyingParty: RelyingParty, challenge: [UInt8], algorithms: [COSEAlgorithm] = [.es256, .edDSA],
        userVerification: UserVerification = .required, allowedAAGUIDs: Set<[UInt8]>? = nil
    ) {
        self.relyingParty = relyingParty
        self.challenge = challenge
        self.algorithms = algorithms
        self.userVerification = userVerification
        self.allowedAAGUIDs = allowedAAGUIDs
    }

    public func verify(attestationObject: [UInt8], clientDataJSON: [UInt8]) throws(WebAuthnError) -> RegisteredCredential {
        try relyingParty.check(ClientData(json: clientDataJSON), type: "webauthn.create", challenge: challenge)
        guard attestationObject.count <= Self.maximumAttestationObjectLength else {
            throw WebAuthnError(.inputTooLarge, "the attestation object is \(attestationObject.count) bytes; at most \(Self.maximumAttestationObjectLength) are read")
        }
        let object = try CBORDecoder.decode(attestationObject)
        guard case .map(let entries) = object, entries.count == 3,
              case .text(let format) = object["fmt"], case .map = object["attStmt"], let statement = object["attStmt"],
              case .bytes(let authenticatorBytes) = object["authData"]
        else {
            throw WebAuthnError(.malformedStructure, "an attestation object is a map of exactly fmt, attStmt and authData")
        }
        let data = try AuthenticatorData(authenticatorBytes)
        try relyingParty.check(data, userVerification: userVerification)
        guard let credential = data.attestedCredential else {
            throw WebAuthnError(.malformedStructure, "a registration must carry attested credential data")
        }
        guard algorithms.contains(credential.publicKey.algorithm) else {
            throw WebAuthnError(.unsupportedKey, "the key's algorithm \(credential.publicKey.algorithm) was not offered")
        }
        if let allowedAAGUIDs, !allowedAAGUIDs.contains(credential.aaguid) {
            throw WebAuthnError(.attestationRefused, "this authenticator model is not on the accepted list")
        }
        let attestation = try Self.verifyStatement(format: format, statement, data: data, clientDataJSON: clientDataJSON, key: credential.publicKey)
        return RegisteredCredential(
            id: credential.credentialID, publicKey: credential.publicKey, signCount: data.signCount, aaguid: credential.aaguid,
            attestation: attestation, backupEligible: data.flags.contains(.backupEligible), userVerified: data.flags.contains(.userVerified)
        )
    }

    /// §8.7 none and §8.2 packed (self attestation).
    private static func verifyStatement(
        format: String, _ statement: CBORValue, data: AuthenticatorData, clientDataJSON: [UInt8], key: COSEKey
    ) throws(WebAuthnError) -> AttestationFormat {
        guard case .map(let entries) = statement else { throw WebAuthnError(.malformedStructure, "attStmt is a map") }
        switch format {
        case "none":
            guard entries.isEmpty else { throw WebAuthnError(.malformedStructure, "a 'none' attestation statement must be empty") }
            return .none
        case "packed":
            if statement["x5c"] != nil {
                try PackedAttestation.verify(statement, signed: data.bytes + Array(SHA256.hash(data: clientDataJSON)), aaguid: data.attestedCredential?.aaguid ?? [])
                return .packedCertificate
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
            return .packedSelf
        default:
            throw WebAuthnError(.unsupportedAttestation, "attestation format '\(format)' is not accepted")
        }
    }
}
