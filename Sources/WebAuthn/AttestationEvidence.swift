/// What a registration's attestation offers as proof of the authenticator's origin: the
/// statement's format, the model the authenticator data names (AAGUID), and the x5c
/// certificates (DER, leaf first; empty for `none` and self attestation).
public struct AttestationEvidence: Hashable, Sendable {
    public let format: AttestationFormat
    public let aaguid: [UInt8]
    public let certificates: [[UInt8]]

    public init(format: AttestationFormat, aaguid: [UInt8], certificates: [[UInt8]]) {
        self.format = format
        self.aaguid = aaguid
        self.certificates = certificates
    }

    /// What an attestation object claims, read without verifying any signature.
    ///
    /// Chain building in swift-certificates is asynchronous, and a caller may have to verify the
    /// ceremony where it cannot wait (inside a store transaction). Such a caller evaluates this
    /// claim first, then confirms with `AttestationVerdict.confirm(_:)` that the credential the
    /// ceremony verified carries this very evidence: the trust decision is then about a verified
    /// statement after all.
    public init(claimedIn attestationObject: [UInt8]) throws(WebAuthnError) {
        let object = try AttestationObject(attestationObject)
        aaguid = try object.attestedCredential().aaguid
        switch object.format {
        case "none":
            format = .none
            certificates = []
        case "packed" where object.statement["x5c"] != nil:
            format = .packedCertificate
            certificates = try PackedAttestation.certificates(in: object.statement)
        case "packed":
            format = .packedSelf
            certificates = []
        default:
            throw WebAuthnError(.unsupportedAttestation, "attestation format '\(object.format)' is not accepted")
        }
    }
}
