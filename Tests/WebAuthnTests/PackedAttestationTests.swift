import Crypto
import Foundation
import SwiftASN1
import Testing
import X509
@testable import WebAuthn

@Suite("Packed attestation with a certificate (§8.2, §8.2.1)")
struct PackedAttestationTests {
    static let relyingParty = RelyingParty(id: "localhost", origin: "http://localhost:8080")
    static let aaguid = [UInt8](repeating: 0x5A, count: 16)
    static let challenge = [UInt8](repeating: 7, count: 32)

    struct Certificateness {
        var unit = "Authenticator Attestation"
        var isCA = false
        var aaguid: [UInt8]? = PackedAttestationTests.aaguid
    }

    /// A registration as an authenticator with an attestation certificate would send it.
    static func registration(_ shape: Certificateness = Certificateness(), flipSignature: Bool = false) throws -> (object: [UInt8], clientData: [UInt8]) {
        let attestationKey = P256.Signing.PrivateKey()
        let credentialKey = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            CountryName("SE")
            OrganizationName("Countersign Test Keys")
            OrganizationalUnitName(shape.unit)
            CommonName("Test Attestation")
        }
        let model = try shape.aaguid.map { aaguid in
            var serializer = DER.Serializer()
            try serializer.serialize(ASN1OctetString(contentBytes: ArraySlice(aaguid)))
            return Certificate.Extension(oid: PackedAttestation.aaguidExtension, critical: false, value: ArraySlice(serializer.serializedBytes))
        }
        let extensions = try Certificate.Extensions {
            Critical(shape.isCA ? BasicConstraints.isCertificateAuthority(maxPathLength: nil) : BasicConstraints.notCertificateAuthority)
            if let model { model }
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(attestationKey.publicKey),
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: now.addingTimeInterval(3600), issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: .init(attestationKey)
        )
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        let der = serializer.serializedBytes

        let point = Array(credentialKey.publicKey.x963Representation)
        let cose: [UInt8] = [0xA5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20] + point[1...32] + [0x22, 0x58, 0x20] + point[33...]
        let credentialID = [UInt8](repeating: 3, count: 16)
        let authData = relyingParty.idHash + [0x45, 0, 0, 0, 0] + aaguid + [0, 16] + credentialID + cose
        let clientData = Array(#"{"type":"webauthn.create","challenge":"\#(Base64URL.encode(challenge))","origin":"http://localhost:8080"}"#.utf8)
        var signature = Array(try attestationKey.signature(for: SHA256.hash(data: authData + Array(SHA256.hash(data: clientData)))).derRepresentation)
        if flipSignature { signature[signature.count - 1] ^= 1 }

        func bytes(_ value: [UInt8]) -> [UInt8] {
            value.count < 256 ? [0x58, UInt8(value.count)] + value : [0x59, UInt8(value.count >> 8), UInt8(value.count & 0xFF)] + value
        }
        // {"fmt": "packed", "attStmt": {"alg": -7, "sig": …, "x5c": [der]}, "authData": …}
        let statement: [UInt8] = [0xA3, 0x63] + Array("alg".utf8) + [0x26] + [0x63] + Array("sig".utf8) + bytes(signature)
            + [0x63] + Array("x5c".utf8) + [0x81] + bytes(der)
        let object: [UInt8] = [0xA3, 0x63] + Array("fmt".utf8) + [0x66] + Array("packed".utf8)
            + [0x67] + Array("attStmt".utf8) + statement + [0x68] + Array("authData".utf8) + bytes(authData)
        return (object, clientData)
    }

    static func verify(_ registration: (object: [UInt8], clientData: [UInt8])) -> Result<RegisteredCredential, WebAuthnError> {
        Result { () throws(WebAuthnError) in
            try RegistrationCeremony(relyingParty: relyingParty, challenge: challenge).verify(attestationObject: registration.object, clientDataJSON: registration.clientData)
        }
    }

    @Test("a certificate meeting §8.2.1 with a valid signature is accepted as packed-x5c")
    func accepted() throws {
        let credential = try Self.verify(try Self.registration()).get()
        #expect(credential.attestation == .packedCertificate)
        #expect(credential.aaguid == Self.aaguid)
    }

    @Test("a certificate without the AAGUID extension is accepted too")
    func withoutAAGUID() throws {
        #expect(try Self.verify(try Self.registration(Certificateness(aaguid: nil))).get().attestation == .packedCertificate)
    }

    @Test("a flipped attestation signature, a CA certificate, the wrong OU or another model's AAGUID is refused", arguments: [
        ("flipped signature", Certificateness(), true, WebAuthnError.Code.badSignature),
        ("a CA certificate", Certificateness(isCA: true), false, .attestationRefused),
        ("OU other than Authenticator Attestation", Certificateness(unit: "Marketing"), false, .attestationRefused),
        ("another model's AAGUID", Certificateness(aaguid: [UInt8](repeating: 1, count: 16)), false, .attestationRefused),
    ])
    func refused(_ why: String, shape: Certificateness, flip: Bool, code: WebAuthnError.Code) throws {
        guard case .failure(let error) = Self.verify(try Self.registration(shape, flipSignature: flip)) else {
            Issue.record("\(why) was accepted")
            return
        }
        #expect(error.code == code, "\(why): \(error)")
    }
}
