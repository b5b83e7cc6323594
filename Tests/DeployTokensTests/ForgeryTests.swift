import Crypto
import DeployTokens
import Foundation
import JWTKit
import Keyring
import Testing
import WebAuthn

/// Every kind of forgery a careful attacker would try on a deploy token, each refused for its own
/// reason. The algorithm confusions are made with jwt-kit, as an attacker's library would make them.
@Suite("Deploy token forgeries")
struct ForgeryTests {
    /// The claims of a genuine token as jwt-kit signs them.
    struct Payload: JWTPayload {
        let claims: DeployTokenClaims
        init(_ claims: DeployTokenClaims) { self.claims = claims }
        init(from decoder: any Decoder) throws { claims = try DeployTokenClaims(from: decoder) }
        func encode(to encoder: any Encoder) throws { try claims.encode(to: encoder) }
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    @Test("alg none, signed by jwt-kit's unsecured signer with the listed kid, is refused")
    func algorithmNone() async throws {
        let fixture = try TokenFixture()
        let kid = JWKIdentifier(string: fixture.signer.keyID)
        let token = try await JWTKeyCollection().addUnsecuredNone(kid: kid).sign(Payload(TokenFixture.claims()), kid: kid)
        #expect(token.hasSuffix("."), "jwt-kit's none token has an empty signature")
        #expect(fixture.refusal(token) == .algorithmNotAllowed)
        for spelling in ["none", "None", "NONE"] {
            let header = fixture.header.replacingOccurrences(of: "EdDSA", with: spelling)
            let unsigned = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(try fixture.payload.utf8)) + "."
            #expect(fixture.refusal(unsigned) == .algorithmNotAllowed, "\(spelling)")
        }
    }

    @Test("HS256 keyed with the published Ed25519 public key (the key-confusion attack) is refused")
    func hmacWithThePublicKey() async throws {
        let fixture = try TokenFixture()
        let kid = JWKIdentifier(string: fixture.signer.keyID)
        let publicKey = Array(fixture.key.publicKey.rawRepresentation)
        let jwk = try #require(String(bytes: fixture.keys.json, encoding: .utf8))
        for secret in [HMACKey(from: publicKey), HMACKey(from: jwk), HMACKey(from: Base64URL.encode(publicKey))] {
            let keys = await JWTKeyCollection().add(hmac: secret, digestAlgorithm: .sha256, kid: kid)
            let token = try await keys.sign(Payload(TokenFixture.claims()), kid: kid)
            #expect(fixture.refusal(token) == .algorithmNotAllowed)
        }
    }

    @Test("ES256 from a key of the attacker's under the listed kid is refused for its algorithm")
    func otherAlgorithm() async throws {
        let fixture = try TokenFixture()
        let kid = JWKIdentifier(string: fixture.signer.keyID)
        let keys = await JWTKeyCollection().add(ecdsa: try ES256PrivateKey(backing: P256.Signing.PrivateKey()), kid: kid)
        #expect(fixture.refusal(try await keys.sign(Payload(TokenFixture.claims()), kid: kid)) == .algorithmNotAllowed)
    }

    @Test("a genuine Ed25519 signature under a header that names another algorithm, or none, is refused")
    func algorithmRelabelled() throws {
        let fixture = try TokenFixture()
        let payload = try fixture.payload
        for alg in ["RS256", "ES256", "HS256", "PS256", "Ed25519", "eddsa", "EDDSA", "EdDSA "] {
            let header = fixture.header.replacingOccurrences(of: #""alg":"EdDSA""#, with: #""alg":"\#(alg)""#)
            #expect(fixture.refusal(try fixture.forge(header: header, payload: payload)) == .algorithmNotAllowed, "\(alg)")
        }
        let missing = #"{"kid":"\#(fixture.signer.keyID)","typ":"JWT"}"#
        #expect(fixture.refusal(try fixture.forge(header: missing, payload: payload)) == .algorithmNotAllowed)
        let number = fixture.header.replacingOccurrences(of: #""alg":"EdDSA""#, with: #""alg":7"#)
        #expect(fixture.refusal(try fixture.forge(header: number, payload: payload)) == .malformed)
    }

    @Test("a token from a key the JWKS does not list is refused, whatever kid it gives")
    func unlistedKey() throws {
        let fixture = try TokenFixture()
        let stranger = try TokenFixture()
        #expect(fixture.refusal(try stranger.token()) == .unknownKey, "its own kid, not listed")
        let noKid = #"{"alg":"EdDSA","typ":"JWT"}"#
        #expect(fixture.refusal(try fixture.forge(header: noKid, payload: try fixture.payload)) == .unknownKey)
        // The listed kid, but the stranger's signature: the kid picks the listed key, which refuses it.
        let borrowed = try fixture.forge(header: fixture.header, payload: try fixture.payload, signedBy: stranger.key)
        #expect(fixture.refusal(borrowed) == .badSignature)
        for kid in ["", "../keys", "1", fixture.signer.keyID.lowercased(), fixture.signer.keyID + "="] {
            let header = fixture.header.replacingOccurrences(of: fixture.signer.keyID, with: kid)
            #expect(fixture.refusal(try fixture.forge(header: header, payload: try fixture.payload)) == .unknownKey, "\(kid)")
        }
    }

    @Test("a header that brings its own key, points at other keys or marks extensions critical is refused, even with a genuine signature")
    func injectedKeys() throws {
        let fixture = try TokenFixture()
        let attacker = Curve25519.Signing.PrivateKey()
        let x = Base64URL.encode(Array(attacker.publicKey.rawRepresentation))
        for member in [
            #""jwk":{"kty":"OKP","crv":"Ed25519","x":"\#(x)"}"#, #""jku":"https://attacker.example/jwks.json""#,
            #""x5u":"https://attacker.example/cert.pem""#, #""x5c":["MIIB"]"#, #""x5t":"AAAA""#, #""x5t#S256":"AAAA""#,
            #""crit":["exp"]"#, #""b64":false"#, #""zip":"DEF""#, #""cty":"JWT""#,
        ] {
            let header = #"{"alg":"EdDSA",\#(member),"kid":"\#(fixture.signer.keyID)","typ":"JWT"}"#
            #expect(fixture.refusal(try fixture.forge(header: header, payload: try fixture.payload)) == .headerNotAllowed, "\(member)")
        }
    }

    @Test("a payload swapped in under another token's signature, or any claim changed, breaks the signature")
    func swappedPayload() throws {
        let fixture = try TokenFixture()
        let genuine = try fixture.token().split(separator: ".")
        let other = try fixture.token(TokenFixture.claims(environment: "staging")).split(separator: ".")
        #expect(fixture.refusal([genuine[0], other[1], genuine[2]].joined(separator: ".")) == .badSignature)
        let payload = try fixture.payload
        for (original, changed) in [
            (#""service":"payments-api""#, #""service":"payments-web""#), (#""environment":"production""#, #""environment":"staging""#),
            (TokenFixture.commit, String(TokenFixture.commit.reversed())), (#""aud":"deploy""#, #""aud":"admin""#),
            (#""sub":"bob""#, #""sub":"mallory""#), (#""exp":1800001800"#, #""exp":1800086399"#),
            (#""method":"session""#, #""method":"hardware_key""#),
        ] {
            let edited = Base64URL.encode(Array(payload.replacingOccurrences(of: original, with: changed).utf8))
            #expect(fixture.refusal([genuine[0], Substring(edited), genuine[2]].joined(separator: ".")) == .badSignature, "\(changed)")
        }
        var flipped = Array(try #require(Base64URL.decode(String(genuine[2]))))
        flipped[10] ^= 0x01
        #expect(fixture.refusal([genuine[0], genuine[1], Substring(Base64URL.encode(flipped))].joined(separator: ".")) == .badSignature)
        let truncated = Base64URL.encode(Array(try #require(Base64URL.decode(String(genuine[2]))).prefix(63)))
        #expect(fixture.refusal([genuine[0], genuine[1], Substring(truncated)].joined(separator: ".")) == .badSignature)
    }

    @Test("a member named twice, an unknown claim or another spelling of the same JSON is refused even when signed by the listed key")
    func nonCanonicalJSON() throws {
        let fixture = try TokenFixture()
        let payload = try fixture.payload
        let kid = fixture.signer.keyID
        for header in [
            #"{"alg":"EdDSA","alg":"none","kid":"\#(kid)","typ":"JWT"}"#, #"{"alg":"none","alg":"EdDSA","kid":"\#(kid)","typ":"JWT"}"#,
            #"{"alg":"EdDSA","kid":"\#(kid)","kid":"other","typ":"JWT"}"#, #"{"alg": "EdDSA","kid":"\#(kid)","typ":"JWT"}"#,
            #"{"typ":"JWT","alg":"EdDSA","kid":"\#(kid)"}"#, #"{"alg":"EdDS\u0041","kid":"\#(kid)","typ":"JWT"}"#,
        ] {
            #expect([.malformed, .algorithmNotAllowed, .unknownKey].contains(fixture.refusal(try fixture.forge(header: header, payload: payload))), "\(header)")
        }
        for edited in [
            payload.replacingOccurrences(of: #""service":"payments-api""#, with: #""service":"payments-api","service":"payments-web""#),
            payload.replacingOccurrences(of: #""service":"payments-api""#, with: #""service":"payments-web","service":"payments-api""#),
            payload.replacingOccurrences(of: #""sub":"bob""#, with: #""sub":"bob","single_use":false"#),
            payload.replacingOccurrences(of: ",", with: ", "),
            payload.replacingOccurrences(of: "https://", with: #"https:\/\/"#),
            payload + " ",
        ] {
            #expect(fixture.refusal(try fixture.forge(header: fixture.header, payload: edited)) == .malformed, "\(edited)")
        }
        let header = #"{"alg":"EdDSA","kid":"\#(kid)","typ":"JWT"}"#
        #expect(fixture.refusal(try fixture.forge(header: header, payload: payload)) == nil, "the control: the same forge with the gateway's spelling verifies")
    }

    @Test("a token larger than 8 KiB is refused before anything in it is read")
    func tooLarge() throws {
        let fixture = try TokenFixture()
        let padded = try fixture.token(TokenFixture.claims(subject: String(repeating: "b", count: 8 * 1024)))
        #expect(fixture.refusal(padded) == .tooLarge)
        #expect(fixture.refusal(String(repeating: "A", count: 1 << 20)) == .tooLarge)
    }

    @Test("anything but three unpadded base64url segments is malformed")
    func garbage() throws {
        let fixture = try TokenFixture()
        let token = try fixture.token()
        let parts = token.split(separator: ".").map(String.init)
        for garbage in [
            "", ".", "..", "...", "a.b", "a.b.c.d", token + ".", "." + token, token + "=", parts[0] + "=." + parts[1] + "." + parts[2],
            parts[0] + "." + parts[1] + "==." + parts[2], parts[0] + "." + parts[1] + ".+" + parts[2].dropFirst(), " " + token, token + "\n",
            "e30.e30.", Base64URL.encode(Array("not json".utf8)) + "." + parts[1] + "." + parts[2],
            Base64URL.encode(Array("[]".utf8)) + "." + parts[1] + "." + parts[2], "\u{0}" + token,
        ] {
            #expect([.malformed, .algorithmNotAllowed].contains(fixture.refusal(garbage)), "\(garbage.debugDescription.prefix(60))")
        }
        #expect(fixture.refusal(parts[0] + "." + parts[1] + ".") == .badSignature, "a header that passes still needs a signature")
        #expect(fixture.refusal(parts[0] + ".." + parts[2]) == .badSignature, "and the signature is checked before the claims are read")
    }
}
