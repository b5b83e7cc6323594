import Foundation
import Testing
@testable import WebAuthn

@Suite("base64url without padding")
struct Base64URLTests {
    @Test("RFC 4648 §10 vectors, unpadded and URL-safe", arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ])
    func vectors(plain: String, encoded: String) {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test("encoding agrees with Foundation's base64 made URL-safe, for every length up to 64")
    func agreesWithFoundation() {
        for length in 0...64 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) }
            let reference = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(Base64URL.encode(bytes) == reference)
            #expect(Base64URL.decode(reference) == bytes)
        }
    }

    @Test("padding, the standard alphabet, whitespace, a dangling character and non-zero spare bits are refused", arguments: [
        "Zg==", "Zm9v+A", "Zm9v/A", "Zm 9v", "Zm9vY", "Zh", "Zm9", "Zm+",
    ])
    func refused(_ text: String) {
        #expect(Base64URL.decode(text) == nil)
    }
}
