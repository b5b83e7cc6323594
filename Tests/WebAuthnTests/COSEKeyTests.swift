import Crypto
import Testing
@testable import WebAuthn

@Suite("COSE credential public keys")
struct COSEKeyTests {
    static let x = [UInt8](repeating: 0, count: 32)

    @Test("the W3C vectors' keys read back and re-encode to the same bytes", arguments: SpecVectors.loaded.authentication)
    func roundTrip(_ vector: SpecVectors.Authentication) throws {
        let bytes = [UInt8](hex: vector.credentialPubKey)
        let key = try COSEKey(encoded: bytes)
        #expect(key.encoded == bytes)
        #expect(key.algorithm == (vector.name == "PackedEdDSA" ? .edDSA : .es256))
    }

    @Test("a P-256 point that is not on the curve is refused")
    func offCurve() throws {
        let real = P256.Signing.PrivateKey().publicKey.x963Representation
        var y = Array(real[33...])
        y[31] ^= 1
        let bytes: [UInt8] = [0xA5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20] + Array(real[1...32]) + [0x22, 0x58, 0x20] + y
        #expect(throws: WebAuthnError(.invalidKey, "")) { try COSEKey(encoded: bytes) }
    }

    struct Shape: CustomTestStringConvertible {
        let hex: String
        let code: WebAuthnError.Code
        let testDescription: String
    }

    static let x32 = "5820" + String(repeating: "11", count: 32)
    static let shapes: [Shape] = [
        Shape(hex: "a3010203262001", code: .malformedStructure, testDescription: "ES256 without x and y"),
        Shape(hex: "a4010103272006", code: .malformedCBOR, testDescription: "a map cut short"),
        Shape(hex: "a301010338222006", code: .unsupportedKey, testDescription: "RS256 (alg -35)"),
        Shape(hex: "a401010326200621" + x32, code: .unsupportedKey, testDescription: "OKP key claiming ES256"),
        Shape(hex: "a401010327200721" + x32, code: .unsupportedKey, testDescription: "Ed448 curve with EdDSA"),
        Shape(hex: "a501010327200621" + x32 + "2201", code: .malformedStructure, testDescription: "Ed25519 with a stray y"),
        Shape(hex: "a40101032720062150" + String(repeating: "11", count: 16), code: .malformedStructure, testDescription: "a 16-byte Ed25519 key"),
        Shape(hex: "83010203", code: .malformedStructure, testDescription: "an array, not a map"),
    ]

    @Test("keys of the wrong shape or an unoffered algorithm are refused", arguments: shapes)
    func refused(_ shape: Shape) {
        let error = #expect(throws: WebAuthnError.self) { try COSEKey(encoded: [UInt8](hex: shape.hex)) }
        #expect(error?.code == shape.code)
    }
}
