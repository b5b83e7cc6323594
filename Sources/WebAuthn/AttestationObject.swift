/// An attestation object (WebAuthn Level 3 §6.5.4) read but not verified: the statement's
/// format, the statement, and the authenticator data. The registration ceremony verifies it;
/// `AttestationEvidence(claimedIn:)` reads what it claims without verifying it.
struct AttestationObject {
    static let maximumLength = 16 * 1024

    let format: String
    let statement: CBORValue
    let authenticatorData: AuthenticatorData

    init(_ bytes: [UInt8]) throws(WebAuthnError) {
        guard bytes.count <= Self.maximumLength else {
            throw WebAuthnError(.inputTooLarge, "the attestation object is \(bytes.count) bytes; at most \(Self.maximumLength) are read")
        }
        let object = try CBORDecoder.decode(bytes)
        guard case .map(let entries) = object, entries.count == 3,
              case .text(let format) = object["fmt"], case .map = object["attStmt"], let statement = object["attStmt"],
              case .bytes(let authenticatorBytes) = object["authData"]
        else {
            throw WebAuthnError(.malformedStructure, "an attestation object is a map of exactly fmt, attStmt and authData")
        }
        self.format = format
        self.statement = statement
        authenticatorData = try AuthenticatorData(authenticatorBytes)
    }

    /// The credential a registration must carry.
    func attestedCredential() throws(WebAuthnError) -> AuthenticatorData.AttestedCredential {
        guard let credential = authenticatorData.attestedCredential else {
            throw WebAuthnError(.malformedStructure, "a registration must carry attested credential data")
        }
        return credential
    }
}
