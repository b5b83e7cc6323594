import Crypto
import Foundation
import WebAuthn

/// A vendor's attestation PKI in miniature, written out in DER by hand: a P-256 root, one
/// attestation certificate meeting §8.2.1 under it, and the `packed` registrations a key carrying
/// that certificate sends. This target has no X.509 library; an encoder independent of
/// swift-certificates also makes these tests an oracle for the gateway's parsing.
struct TestAttestationAuthority: Sendable {
    static let organization = "Countersign Test Vendor"

    let rootName: String
    let aaguid: [UInt8]
    let rootKey: P256.Signing.PrivateKey
    let attestationKey = P256.Signing.PrivateKey()
    let rootDER: [UInt8]
    let leafDER: [UInt8]

    /// The root and the attestation certificate are valid from `notBefore` to `notAfter`. Given
    /// another authority's `rootKey` (and name), the certificate is that vendor's for another model.
    init(rootName: String, aaguid: [UInt8], notBefore: Date, notAfter: Date, rootKey: P256.Signing.PrivateKey = .init()) throws {
        self.rootName = rootName
        self.aaguid = aaguid
        self.rootKey = rootKey
        let rootSubject = DERWriter.name([(DERWriter.countryName, "SE"), (DERWriter.organizationName, Self.organization), (DERWriter.commonName, rootName)])
        let leafSubject = DERWriter.name([
            (DERWriter.countryName, "SE"), (DERWriter.organizationName, Self.organization),
            (DERWriter.organizationalUnitName, "Authenticator Attestation"), (DERWriter.commonName, "\(rootName) attestation"),
        ])
        let caExtension = DERWriter.certificateExtension(DERWriter.basicConstraints, critical: true, value: DERWriter.sequence(DERWriter.tlv(0x01, [0xFF])))
        rootDER = try DERWriter.certificate(
            serial: 1, issuer: rootSubject, subject: rootSubject, notBefore: notBefore, notAfter: notAfter,
            publicKey: rootKey.publicKey, extensions: [caExtension], signer: rootKey
        )
        let leafExtensions = [
            DERWriter.certificateExtension(DERWriter.basicConstraints, critical: true, value: DERWriter.sequence([])),
            DERWriter.certificateExtension(DERWriter.fidoAAGUID, critical: false, value: DERWriter.tlv(0x04, aaguid)),
        ]
        leafDER = try DERWriter.certificate(
            serial: 2, issuer: rootSubject, subject: leafSubject, notBefore: notBefore, notAfter: notAfter,
            publicKey: attestationKey.publicKey, extensions: leafExtensions, signer: rootKey
        )
    }

    /// The root as a policy directory holds it.
    var rootPEM: String {
        let base64 = Data(rootDER).base64EncodedString()
        let lines = stride(from: 0, to: base64.count, by: 64).map { offset in
            String(base64.dropFirst(offset).prefix(64))
        }
        return (["-----BEGIN CERTIFICATE-----"] + lines + ["-----END CERTIFICATE-----"]).joined(separator: "\n") + "\n"
    }

    /// `navigator.credentials.create` on a key carrying this authority's attestation certificate:
    /// (credential id, attestationObject, clientDataJSON), flags UP|UV|AT, counter 0.
    func register(challenge: String, rpID: String = "localhost", origin: String = "http://localhost:8080") throws -> (credentialID: [UInt8], object: [UInt8], clientData: [UInt8]) {
        let credentialKey = P256.Signing.PrivateKey()
        let point = Array(credentialKey.publicKey.x963Representation)
        let cose: [UInt8] = [0xA5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20] + point[1...32] + [0x22, 0x58, 0x20] + point[33...]
        let credentialID = (0..<16).map { _ in UInt8.random(in: .min ... .max) }
        let authData = Array(SHA256.hash(data: Data(rpID.utf8))) + [0x45, 0, 0, 0, 0] + aaguid + [0, 16] + credentialID + cose
        let clientData = Array(#"{"type":"webauthn.create","challenge":"\#(challenge)","origin":"\#(origin)","crossOrigin":false}"#.utf8)
        let signature = Array(try attestationKey.signature(for: authData + Array(SHA256.hash(data: clientData))).derRepresentation)

        func text(_ value: String) -> [UInt8] { [0x60 | UInt8(value.utf8.count)] + Array(value.utf8) }
        func bytes(_ value: [UInt8]) -> [UInt8] {
            value.count < 256 ? [0x58, UInt8(value.count)] + value : [0x59, UInt8(value.count >> 8), UInt8(value.count & 0xFF)] + value
        }
        // {"fmt": "packed", "attStmt": {"alg": -7, "sig": …, "x5c": [leaf]}, "authData": …}
        let statement = [0xA3] + text("alg") + [0x26] + text("sig") + bytes(signature) + text("x5c") + [0x81] + bytes(leafDER)
        let object = [0xA3] + text("fmt") + text("packed") + text("attStmt") + statement + text("authData") + bytes(authData)
        return (credentialID, object, clientData)
    }
}

/// Just enough DER (X.690) to write an X.509 v3 certificate (RFC 5280 §4.1).
enum DERWriter {
    static let ecdsaWithSHA256: [UInt8] = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02]
    static let countryName: [UInt8] = [0x06, 0x03, 0x55, 0x04, 0x06]
    static let organizationName: [UInt8] = [0x06, 0x03, 0x55, 0x04, 0x0A]
    static let organizationalUnitName: [UInt8] = [0x06, 0x03, 0x55, 0x04, 0x0B]
    static let commonName: [UInt8] = [0x06, 0x03, 0x55, 0x04, 0x03]
    static let basicConstraints: [UInt8] = [0x06, 0x03, 0x55, 0x1D, 0x13]
    /// id-fido-gen-ce-aaguid, 1.3.6.1.4.1.45724.1.1.4.
    static let fidoAAGUID: [UInt8] = [0x06, 0x0B, 0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0xE5, 0x1C, 0x01, 0x01, 0x04]

    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        let length: [UInt8] = switch content.count {
        case ..<0x80: [UInt8(content.count)]
        case ..<0x100: [0x81, UInt8(content.count)]
        default: [0x82, UInt8(content.count >> 8), UInt8(content.count & 0xFF)]
        }
        return [tag] + length + content
    }

    static func sequence(_ content: [UInt8]) -> [UInt8] { tlv(0x30, content) }

    static func name(_ attributes: [(type: [UInt8], value: String)]) -> [UInt8] {
        sequence(attributes.flatMap { tlv(0x31, sequence($0.type + tlv(0x0C, Array($0.value.utf8)))) })
    }

    static func certificateExtension(_ oid: [UInt8], critical: Bool, value: [UInt8]) -> [UInt8] {
        sequence(oid + (critical ? tlv(0x01, [0xFF]) : []) + tlv(0x04, value))
    }

    /// UTCTime, YYMMDDHHMMSSZ: dates before 2050.
    static func time(_ date: Date) -> [UInt8] {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyMMddHHmmss'Z'"
        return tlv(0x17, Array(formatter.string(from: date).utf8))
    }

    static func certificate(
        serial: UInt8, issuer: [UInt8], subject: [UInt8], notBefore: Date, notAfter: Date,
        publicKey: P256.Signing.PublicKey, extensions: [[UInt8]], signer: P256.Signing.PrivateKey
    ) throws -> [UInt8] {
        let algorithm = sequence(ecdsaWithSHA256)
        let tbs = sequence(
            tlv(0xA0, tlv(0x02, [0x02])) + tlv(0x02, [serial]) + algorithm + issuer + sequence(time(notBefore) + time(notAfter))
                + subject + Array(publicKey.derRepresentation) + tlv(0xA3, sequence(extensions.flatMap { $0 }))
        )
        let signature = Array(try signer.signature(for: tbs).derRepresentation)
        return sequence(tbs + algorithm + tlv(0x03, [0x00] + signature))
    }
}
