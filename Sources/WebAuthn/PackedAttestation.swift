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

    /// Verifies the statement and returns its certificates (DER, leaf first).
    static func verify(_ statement: CBORValue, signed message: [UInt8], aaguid: [UInt8]) throws(WebAuthnError) -> [[UInt8]] {
        guard case .map(let entries) = statement, entries.count == 3, let alg = statement["alg"]?.integer,
              case .bytes(let signature) = statement["sig"]
        else {
            throw WebAuthnError(.malformedStructure, "a packed statement with x5c is exactly alg, sig and 1 to \(maximumChainLength) certificates")
        }
        let chain = try certificates(in: statement)
        guard let leaf = try? Certificate(derEncoded: chain[0]) else {
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
        return chain
    }

    /// The x5c array: 1 to `maximumChainLength` byte strings, leaf first, not yet parsed.
    static func certificates(in statement: CBORValue) throws(WebAuthnError) -> [[UInt8]] {
        guard case .array(let chain) = statement["x5c"], (1...maximumChainLength).contains(chain.count) else {
            throw WebAuthnError(.malformedStructure, "a packed statement with x5c is exactly alg, sig and 1 to \(maximumChainLength) certificates")
        }
        var certificates: [[UInt8]] = []
        for element in chain {
            guard case .bytes(let der) = element else {
                throw WebAuthnError(.malformedStructure, "each x5c entry is a DER certificate in a byte string")
            }
            certificates.append(der)
        }
        return certificates
    }

    /// The model the certificate names in id-fido-gen-ce-aaguid, if it names one.
    static func namedAAGUID(_ certificate: Certificate) throws(WebAuthnError) -> [UInt8]? {
        guard let extensionValue = certificate.extensions[oid: aaguidExtension]?.value else { return nil }
        // The extension's value is an OCTET STRING holding the 16 bytes.
        guard let inner = try? ASN1OctetString(derEncoded: extensionValue), inner.bytes.count == 16 else {
            throw WebAuthnError(.attestationRefused, "the attestation certificate's AAGUID extension is not 16 bytes in an OCTET STRING")
        }
        return Array(inner.bytes)
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
        if let named = try namedAAGUID(leaf), named != aaguid {
            throw WebAuthnError(.attestationRefused, "the attestation certificate names another authenticator model (AAGUID)")
        }
    }
}
