import Crypto
import SwiftASN1
import X509

/// Packed attestation with a certificate (WebAuthn Level 3 §8.2 "x5c" case): the attestation key,
/// not the credential key, signs authenticatorData ‖ clientDataHash, with the algorithm the
/// statement names (Chromium says -7 even for an EdDSA credential), and the leaf certificate
/// meets §8.2.1.
enum PackedAttestation {
    static let maximumChainLength = 8
    /// id-fido-gen-ce-aaguid: the authenticator model, which must match the authenticator data.
    static let aaguidExtension: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 45724, 1, 1, 4]

    static func verify(_ statement: CBORValue, signed message: [UInt8], aaguid: [UInt8]) throws(WebAuthnError) {
        guard case .map(let entries) = statement, entries.count == 3, let alg = statement["alg"]?.integer,
              case .bytes(let signature) = statement["sig"], case .array(let chain) = statement["x5c"],
              (1...maximumChainLength).contains(chain.count)
        else {
            throw WebAuthnError(.malformedStructure, "a packed statement with x5c is exactly alg, sig and 1 to \(maximumChainLength) certificates")
        }
        guard case .bytes(let leafBytes) = chain[0], let leaf = try? Certificate(derEncoded: leafBytes) else {
            throw WebAuthnError(.malformedStructure, "the attestation certificate is not DER X.509")
        }
        try checkRequirements(leaf, aaguid: aaguid)
        guard alg == COSEAlgorithm.es256.rawValue, let key = P256.Signing.PublicKey(leaf.publicKey),
              let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature)
        else {
            throw WebAuthnError(.unsupportedAttestation, "packed attestation must be ES256 with a P-256 certificate (alg \(alg))")
        }
        guard key.isValidSignature(parsed, for: SHA256.hash(data: message)) else {
            throw WebAuthnError(.badSignature, "the attestation signature does not verify with the attestation certificate")
        }
    }

    /// §8.2.1: version 3; subject with C, O, OU "Authenticator Attestation" and CN; not a CA;
    /// and, when present, the AAGUID extension equal to the authenticator data's AAGUID.
    private static func checkRequirements(_ leaf: Certificate, aaguid: [UInt8]) throws(WebAuthnError) {
        guard leaf.version == .v3 else {
            throw WebAuthnError(.attestationRefused, "the attestation certificate is not X.509 version 3")
        }
        let attributes = leaf.subject.flatMap { $0 }
        func value(_ type: ASN1ObjectIdentifier) -> String? {
            attributes.first { $0.type == type }.map { String(describing: $0.value) }
        }
        guard value(.RDNAttributeType.countryName) != nil, value(.RDNAttributeType.organizationName) != nil,
              value(.RDNAttributeType.commonName) != nil,
              value(.RDNAttributeType.organizationalUnitName) == "Authenticator Attestation"
        else {
            throw WebAuthnError(.attestationRefused, "the attestation certificate's subject lacks C, O, CN or OU=Authenticator Attestation")
        }
        guard case .notCertificateAuthority? = try? leaf.extensions.basicConstraints else {
            throw WebAuthnError(.attestationRefused, "the attestation certificate must say it is not a CA")
        }
        if let extensionValue = leaf.extensions[oid: aaguidExtension]?.value {
            // The extension's value is an OCTET STRING holding the 16 bytes.
            guard let inner = try? ASN1OctetString(derEncoded: extensionValue), Array(inner.bytes) == aaguid else {
                throw WebAuthnError(.attestationRefused, "the attestation certificate names another authenticator model (AAGUID)")
            }
        }
    }
}
