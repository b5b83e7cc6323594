import Crypto
import Foundation
import SwiftASN1
import X509
@testable import WebAuthn

/// Made-up attestation PKIs and the registrations an authenticator under them would send, all
/// generated with swift-certificates and swift-crypto at test time: roots, intermediates and
/// attestation certificates with chosen validity, and `none`, self and x5c statements over the
/// same relying party and challenge.
enum AttestationFixtures {
    static let relyingParty = RelyingParty(id: "localhost", origin: "http://localhost:8080")
    static let challenge = [UInt8](repeating: 7, count: 32)
    static let aaguid = [UInt8](repeating: 0x5A, count: 16)
    /// The ceremony's time in every test: certificates are valid around it unless a case says not.
    static let ceremonyTime = Date(timeIntervalSince1970: 1_800_000_000)
    static let aroundCeremony = ceremonyTime.addingTimeInterval(-86_400)...ceremonyTime.addingTimeInterval(86_400)

    /// A certificate with its private key: a root, an intermediate or an attestation leaf.
    struct Issued: Sendable {
        let key: P256.Signing.PrivateKey
        let certificate: Certificate
        let der: [UInt8]

        init(key: P256.Signing.PrivateKey, certificate: Certificate) throws {
            self.key = key
            self.certificate = certificate
            var serializer = DER.Serializer()
            try serializer.serialize(certificate)
            der = serializer.serializedBytes
        }
    }

    static func vendorName(_ name: String) throws -> DistinguishedName {
        try DistinguishedName {
            CountryName("SE")
            OrganizationName("Countersign Test Vendor")
            CommonName(name)
        }
    }

    static func root(_ name: String, validity: ClosedRange<Date> = aroundCeremony) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let subject = try vendorName(name)
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            Critical(KeyUsage(keyCertSign: true))
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: validity.lowerBound, notValidAfter: validity.upperBound, issuer: subject, subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: .init(key)
        )
        return try Issued(key: key, certificate: certificate)
    }

    /// An intermediate CA issued by `issuer`; `isCA: false` makes a certificate that must not issue.
    static func intermediate(_ name: String, issuedBy issuer: Issued, isCA: Bool = true, validity: ClosedRange<Date> = aroundCeremony) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let subject = try vendorName(name)
        let extensions = try Certificate.Extensions {
            Critical(isCA ? BasicConstraints.isCertificateAuthority(maxPathLength: 0) : BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(keyCertSign: true))
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: validity.lowerBound, notValidAfter: validity.upperBound, issuer: issuer.certificate.subject, subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: .init(issuer.key)
        )
        return try Issued(key: key, certificate: certificate)
    }

    /// An attestation certificate meeting §8.2.1, issued by `issuer` (nil: self-signed), naming
    /// `aaguid` in id-fido-gen-ce-aaguid unless it is nil.
    static func attestation(issuedBy issuer: Issued?, aaguid: [UInt8]? = aaguid, validity: ClosedRange<Date> = aroundCeremony) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            CountryName("SE")
            OrganizationName("Countersign Test Vendor")
            OrganizationalUnitName("Authenticator Attestation")
            CommonName("Test Attestation")
        }
        let model = try aaguid.map { aaguid in
            var serializer = DER.Serializer()
            try serializer.serialize(ASN1OctetString(contentBytes: ArraySlice(aaguid)))
            return Certificate.Extension(oid: PackedAttestation.aaguidExtension, critical: false, value: ArraySlice(serializer.serializedBytes))
        }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            if let model { model }
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: validity.lowerBound, notValidAfter: validity.upperBound,
            issuer: issuer?.certificate.subject ?? subject, subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: .init(issuer?.key ?? key)
        )
        return try Issued(key: key, certificate: certificate)
    }

    /// How the registration's statement is made.
    enum Statement {
        case none
        case selfAttestation
        /// Signed by `attestation`'s key, with x5c = [attestation, intermediates…].
        case x5c(Issued, intermediates: [Issued])
    }

    /// A registration as an authenticator would send it: (attestationObject, clientDataJSON).
    static func registration(_ statement: Statement, aaguid: [UInt8] = aaguid) throws -> (object: [UInt8], clientData: [UInt8]) {
        let credentialKey = P256.Signing.PrivateKey()
        let point = Array(credentialKey.publicKey.x963Representation)
        let cose: [UInt8] = [0xA5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20] + point[1...32] + [0x22, 0x58, 0x20] + point[33...]
        let credentialID = [UInt8](repeating: 3, count: 16)
        let authData = relyingParty.idHash + [0x45, 0, 0, 0, 0] + aaguid + [0, 16] + credentialID + cose
        let clientData = Array(#"{"type":"webauthn.create","challenge":"\#(Base64URL.encode(challenge))","origin":"http://localhost:8080"}"#.utf8)
        let signed = SHA256.hash(data: authData + Array(SHA256.hash(data: clientData)))

        let format: String
        let body: [UInt8]
        switch statement {
        case .none:
            format = "none"
            body = [0xA0]
        case .selfAttestation:
            format = "packed"
            let signature = Array(try credentialKey.signature(for: signed).derRepresentation)
            body = [0xA2] + text("alg") + [0x26] + text("sig") + bytes(signature)
        case .x5c(let attestation, let intermediates):
            format = "packed"
            let signature = Array(try attestation.key.signature(for: signed).derRepresentation)
            let chain = [attestation] + intermediates
            body = [0xA3] + text("alg") + [0x26] + text("sig") + bytes(signature)
                + text("x5c") + [0x80 | UInt8(chain.count)] + chain.flatMap { bytes($0.der) }
        }
        let object = [0xA3] + text("fmt") + text(format) + text("attStmt") + body + text("authData") + bytes(authData)
        return (object, clientData)
    }

    static func verify(_ registration: (object: [UInt8], clientData: [UInt8])) throws(WebAuthnError) -> RegisteredCredential {
        try RegistrationCeremony(relyingParty: relyingParty, challenge: challenge)
            .verify(attestationObject: registration.object, clientDataJSON: registration.clientData)
    }

    private static func text(_ value: String) -> [UInt8] {
        [0x60 | UInt8(value.utf8.count)] + Array(value.utf8)
    }

    private static func bytes(_ value: [UInt8]) -> [UInt8] {
        value.count < 256 ? [0x58, UInt8(value.count)] + value : [0x59, UInt8(value.count >> 8), UInt8(value.count & 0xFF)] + value
    }
}
