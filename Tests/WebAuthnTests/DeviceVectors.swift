import Foundation
import Testing

/// Responses of real authenticators (rpId localhost) from duo-labs/py_webauthn's test suite,
/// extracted as data into `Vectors/py-webauthn-devices.json`; each entry names the file and test
/// it comes from. RSA keys are left out (the gateway offers ES256 and EdDSA only).
struct DeviceVectors: Decodable {
    struct Registration: Decodable, CustomTestStringConvertible {
        let name: String
        let origin: String
        let challenge: String
        let clientDataJSON: String
        let attestationObject: String
        let credentialID: String
        let fmt: String
        let expect: String
        var testDescription: String { "registration \(name)" }
    }

    struct Authentication: Decodable, CustomTestStringConvertible {
        let name: String
        let origin: String
        let challenge: String
        let clientDataJSON: String
        let authenticatorData: String
        let signature: String
        let credentialID: String
        let userHandle: String?
        let credentialPublicKey: String
        let storedSignCount: UInt32
        let requireUserVerification: Bool
        let expect: String
        var testDescription: String { "assertion \(name)" }
    }

    let registration: [Registration]
    let authentication: [Authentication]

    static let loaded = VectorFile.load("py-webauthn-devices", as: DeviceVectors.self)
}
