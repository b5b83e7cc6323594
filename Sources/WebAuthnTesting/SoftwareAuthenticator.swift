import Crypto
import Foundation

/// Test support, shipped as a library for the test targets: a P-256 authenticator in software that answers the gateway's WebAuthn options exactly as a
/// browser would hand a real key's answer over: attestation `none`, flags UP|UV, a counter that
/// grows by one per signature. The browser test (Chromium's virtual authenticator) covers the
/// real client; this one lets the API tests drive every check, including the failures.
public struct SoftwareAuthenticator: Sendable {
    public let privateKey = P256.Signing.PrivateKey()
    public let credentialID: [UInt8] = (0..<16).map { _ in UInt8.random(in: .min ... .max) }
    public let rpID: String
    public let origin: String
    public var counter: UInt32 = 0

    public init(rpID: String = "localhost", origin: String = "http://localhost:8080") {
        self.rpID = rpID
        self.origin = origin
    }

    public var coseKey: [UInt8] {
        let point = Array(privateKey.publicKey.x963Representation)
        return [0xA5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20] + point[1...32] + [0x22, 0x58, 0x20] + point[33...]
    }

    public var rpIDHash: [UInt8] { Array(SHA256.hash(data: Data(rpID.utf8))) }

    public func clientData(type: String, challenge: String) -> [UInt8] {
        Array(#"{"type":"\#(type)","challenge":"\#(challenge)","origin":"\#(origin)","crossOrigin":false,"other_keys_can_be_added_here":"do not compare clientDataJSON against a template"}"#.utf8)
    }

    /// `navigator.credentials.create`: (attestationObject, clientDataJSON).
    public func register(challenge: String) -> (attestationObject: [UInt8], clientDataJSON: [UInt8]) {
        let authenticatorData = rpIDHash + [0x45] + bigEndian(counter) + [UInt8](repeating: 0, count: 16)
            + [UInt8(credentialID.count >> 8), UInt8(credentialID.count & 0xFF)] + credentialID + coseKey
        let object: [UInt8] = [0xA3, 0x63] + Array("fmt".utf8) + [0x64] + Array("none".utf8)
            + [0x67] + Array("attStmt".utf8) + [0xA0]
            + [0x68] + Array("authData".utf8) + [0x58, UInt8(authenticatorData.count)] + authenticatorData
        return (object, clientData(type: "webauthn.create", challenge: challenge))
    }

    /// `navigator.credentials.get`: (authenticatorData, clientDataJSON, signature); the counter grows.
    public mutating func sign(challenge: String, flags: UInt8 = 0x05) throws -> (authenticatorData: [UInt8], clientDataJSON: [UInt8], signature: [UInt8]) {
        counter += 1
        let authenticatorData = rpIDHash + [flags] + bigEndian(counter)
        let clientDataJSON = clientData(type: "webauthn.get", challenge: challenge)
        let signed = authenticatorData + Array(SHA256.hash(data: clientDataJSON))
        let signature = Array(try privateKey.signature(for: SHA256.hash(data: signed)).derRepresentation)
        return (authenticatorData, clientDataJSON, signature)
    }

    private func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
