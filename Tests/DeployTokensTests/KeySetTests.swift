import Crypto
import DeployTokens
import Foundation
import JWTKit
import Keyring
import Testing
import WebAuthn

@Suite("Deploy token key sets (JWKS)")
struct KeySetTests {
    @Test("a key's kid is its RFC 7638 thumbprint, as in RFC 8037 §A.3")
    func thumbprint() throws {
        let x = try #require(Base64URL.decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"))
        let key = try Curve25519.Signing.PublicKey(rawRepresentation: x)
        #expect(DeployTokenKeySet.keyID(of: key) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
    }

    @Test("the published set lists each key once, in order, as an Ed25519 signing key, and reads back")
    func published() throws {
        let first = Curve25519.Signing.PrivateKey().publicKey
        let second = Curve25519.Signing.PrivateKey().publicKey
        let set = DeployTokenKeySet(publicKeys: [first, second, first])
        #expect(set.keys.map(\.id) == [DeployTokenKeySet.keyID(of: first), DeployTokenKeySet.keyID(of: second)])
        let json = String(decoding: set.json, as: UTF8.self)
        let x = Base64URL.encode(Array(first.rawRepresentation))
        #expect(json.hasPrefix(#"{"keys":[{"alg":"EdDSA","crv":"Ed25519","kid":"\#(set.keys[0].id)","kty":"OKP","use":"sig","x":"\#(x)"},"#))
        #expect(try DeployTokenKeySet(parsing: set.json).keys.map(\.id) == set.keys.map(\.id))
    }

    @Test("jwt-kit reads the published set and verifies a token signed with either listed key")
    func readByJWTKit() async throws {
        let first = try TokenFixture()
        let second = try TokenFixture()
        let set = DeployTokenKeySet(publicKeys: [first.key.publicKey, second.key.publicKey])
        let keys = try await JWTKeyCollection().add(jwksJSON: String(decoding: set.json, as: UTF8.self))
        for fixture in [first, second] {
            let payload = try await keys.verify(try fixture.token(), as: ForgeryTests.Payload.self)
            #expect(payload.claims == TokenFixture.claims())
        }
    }

    static func jwk(_ members: String) -> [UInt8] { Array(#"{"keys":[\#(members)]}"#.utf8) }

    static func ed25519(_ key: Curve25519.Signing.PublicKey, kid: String? = nil, alg: String = #""alg":"EdDSA","#) -> String {
        let x = Base64URL.encode(Array(key.rawRepresentation))
        return #"{\#(alg)"crv":"Ed25519","kid":"\#(kid ?? DeployTokenKeySet.keyID(of: key))","kty":"OKP","use":"sig","x":"\#(x)"}"#
    }

    static let rsa = #""kty":"RSA","alg":"RS256","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB""#

    @Test("a set with no Ed25519 key, or none at all, can verify nothing")
    func empty() {
        for json in [#"{"keys":[]}"#, #"{"keys":[{\#(Self.rsa),"kid":"k1"}]}"#, #"{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA","kid":"k"}]}"#] {
            #expect(throws: KeySetError(.noUsableKey, "the JWKS has no Ed25519 key to verify deploy tokens with"), "\(json)") {
                try DeployTokenKeySet(parsing: Array(json.utf8))
            }
        }
    }

    @Test("an RSA or EC key under the kid of the Ed25519 key makes the set ambiguous; one under the token's kid alone is never used")
    func otherKeyTypesUnderTheSameKid() throws {
        let fixture = try TokenFixture()
        let kid = fixture.signer.keyID
        for other in [#"{\#(Self.rsa),"kid":"\#(kid)"}"#, #"{"kty":"EC","crv":"P-256","x":"AA","y":"AA","kid":"\#(kid)"}"#] {
            for members in ["\(Self.ed25519(fixture.key.publicKey)),\(other)", "\(other),\(Self.ed25519(fixture.key.publicKey))"] {
                #expect(Self.code(Self.jwk(members)) == .ambiguousKey)
            }
            let unrelated = Curve25519.Signing.PrivateKey().publicKey
            let set = try DeployTokenKeySet(parsing: Self.jwk("\(other),\(Self.ed25519(unrelated))"))
            #expect(set.keys.map(\.id) == [DeployTokenKeySet.keyID(of: unrelated)])
            #expect(throws: DeployTokenRefusal.self) {
                try DeployTokenVerifier(keys: set).verify(try fixture.token(), expecting: TokenFixture.expected, at: TokenFixture.now)
            }
        }
    }

    @Test("malformed sets are refused: not JSON, no keys array, a private key, a kid that is not the thumbprint, no alg, too many keys, too large")
    func malformed() {
        let key = Curve25519.Signing.PrivateKey()
        let x = Base64URL.encode(Array(key.publicKey.rawRepresentation))
        let kid = DeployTokenKeySet.keyID(of: key.publicKey)
        let d = Base64URL.encode(Array(key.rawRepresentation))
        for json in [
            Array("not json".utf8), Array("{}".utf8), Array(#"{"keys":{}}"#.utf8), Array(#"[]"#.utf8), Self.jwk(#"{"crv":"Ed25519"}"#),
            Self.jwk(#"{"alg":"EdDSA","crv":"Ed25519","d":"\#(d)","kid":"\#(kid)","kty":"OKP","x":"\#(x)"}"#),
            Self.jwk(Self.ed25519(key.publicKey, kid: "gateway-1")), Self.jwk(Self.ed25519(key.publicKey, alg: "")),
            Self.jwk(Self.ed25519(key.publicKey, alg: #""alg":"ES256","#)),
            Self.jwk(#"{"alg":"EdDSA","crv":"Ed25519","kid":"\#(kid)","kty":"OKP","use":"enc","x":"\#(x)"}"#),
            Self.jwk(#"{"alg":"EdDSA","crv":"Ed25519","kid":"\#(kid)","kty":"OKP","x":"\#(x)AAAA"}"#),
            Self.jwk(#"{"alg":"EdDSA","crv":"Ed25519","kid":"\#(kid)","kty":"OKP","x":"\#(x)="}"#),
            Self.jwk(Array(repeating: Self.ed25519(key.publicKey, kid: "k"), count: 17).enumerated().map { $0.element.replacingOccurrences(of: #""kid":"k""#, with: #""kid":"k\#($0.offset)""#) }.joined(separator: ",")),
        ] {
            #expect(Self.code(json) == .malformed, "\(String(decoding: json.prefix(80), as: UTF8.self))")
        }
        #expect(Self.code(Array(repeating: UInt8(ascii: " "), count: 64 * 1024 + 1)) == .tooLarge)
    }

    static func code(_ json: [UInt8]) -> KeySetError.Code? {
        do {
            _ = try DeployTokenKeySet(parsing: json)
            return nil
        } catch {
            return error.code
        }
    }
}
