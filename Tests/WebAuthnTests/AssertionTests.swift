import Crypto
import Foundation
import Testing
@testable import WebAuthn

@Suite("Assertions (WebAuthn Level 3 §7.2) against the W3C §16 vectors")
struct AssertionTests {
    static let vectors = SpecVectors.loaded
    static let relyingParty = RelyingParty(id: vectors.rp_id, origin: vectors.origin)
    static let userHandle = Array("user-1".utf8)

    /// The stored credential: the vector's key, counter 0 (as the spec file says), and the
    /// backup eligibility the authenticator reports, as registration would have stored it.
    static func credential(_ vector: SpecVectors.Authentication, signCount: UInt32 = 0) throws -> StoredCredential {
        let data = try AuthenticatorData([UInt8](hex: vector.authenticatorData))
        return StoredCredential(
            id: [UInt8](hex: vector.credentialID), publicKey: try COSEKey(encoded: [UInt8](hex: vector.credentialPubKey)),
            signCount: signCount, backupEligible: data.flags.contains(.backupEligible), userHandle: userHandle
        )
    }

    struct Response {
        var credentialID: [UInt8]
        var authenticatorData: [UInt8]
        var clientDataJSON: [UInt8]
        var signature: [UInt8]
        var userHandle: [UInt8]?

        init(_ vector: SpecVectors.Authentication) {
            credentialID = [UInt8](hex: vector.credentialID)
            authenticatorData = [UInt8](hex: vector.authenticatorData)
            clientDataJSON = [UInt8](hex: vector.clientDataJSON)
            signature = [UInt8](hex: vector.signature)
            userHandle = AssertionTests.userHandle
        }
    }

    static func verify(
        _ vector: SpecVectors.Authentication, _ response: Response? = nil, storedCount: UInt32 = 0,
        userVerification: UserVerification = .preferred, challenge: [UInt8]? = nil, relyingParty: RelyingParty = relyingParty
    ) throws -> Result<VerifiedAssertion, WebAuthnError> {
        let ceremony = AssertionCeremony(
            relyingParty: relyingParty, challenge: challenge ?? [UInt8](hex: vector.challenge),
            credentials: [try credential(vector, signCount: storedCount)], userVerification: userVerification
        )
        let response = response ?? Response(vector)
        return Result { () throws(WebAuthnError) in
            try ceremony.verify(
                credentialID: response.credentialID, authenticatorData: response.authenticatorData,
                clientDataJSON: response.clientDataJSON, signature: response.signature, userHandle: response.userHandle
            )
        }
    }

    static func code(_ result: Result<VerifiedAssertion, WebAuthnError>) -> WebAuthnError.Code? {
        if case .failure(let error) = result { return error.code }
        return nil
    }

    @Test("each vector is accepted or refused as the spec file expects", arguments: vectors.authentication)
    func outcome(_ vector: SpecVectors.Authentication) throws {
        let result = try Self.verify(vector)
        if vector.accepted {
            #expect(Self.code(result) == nil, "\(result)")
        } else {
            #expect(Self.code(result) == .crossOrigin)
        }
    }

    static var accepted: [SpecVectors.Authentication] { vectors.authentication.filter(\.accepted) }

    @Test("mutations of every accepted vector are refused with the check they break", arguments: accepted)
    func mutations(_ vector: SpecVectors.Authentication) throws {
        var badSignature = Response(vector)
        badSignature.signature[badSignature.signature.count - 3] ^= 0x40
        #expect(Self.code(try Self.verify(vector, badSignature)) == .badSignature)

        var wrongChallenge = [UInt8](hex: vector.challenge)
        wrongChallenge[5] ^= 1
        #expect(Self.code(try Self.verify(vector, challenge: wrongChallenge)) == .challengeMismatch)

        #expect(Self.code(try Self.verify(vector, relyingParty: RelyingParty(id: "example.org", origin: "https://evil.example"))) == .originMismatch)
        #expect(Self.code(try Self.verify(vector, relyingParty: RelyingParty(id: "example.com", origin: "https://example.org"))) == .relyingPartyMismatch)

        var presenceCleared = Response(vector)
        presenceCleared.authenticatorData[32] &= ~AuthenticatorData.Flags.userPresent.rawValue
        #expect(Self.code(try Self.verify(vector, presenceCleared)) == .userNotPresent)

        var verificationCleared = Response(vector)
        verificationCleared.authenticatorData[32] &= ~AuthenticatorData.Flags.userVerified.rawValue
        #expect(Self.code(try Self.verify(vector, verificationCleared, userVerification: .required)) == .userNotVerified)

        var flippedData = Response(vector)
        flippedData.authenticatorData[36] ^= 0x01
        #expect(Self.code(try Self.verify(vector, flippedData)) == .badSignature)

        var otherKey = Response(vector)
        otherKey.credentialID[0] ^= 0xFF
        #expect(Self.code(try Self.verify(vector, otherKey)) == .unknownCredential)

        var otherUser = Response(vector)
        otherUser.userHandle = Array("user-2".utf8)
        #expect(Self.code(try Self.verify(vector, otherUser)) == .userHandleMismatch)

        var noHandle = Response(vector)
        noHandle.userHandle = nil
        #expect(Self.code(try Self.verify(vector, noHandle)) == nil)

        var backupFlipped = Response(vector)
        backupFlipped.authenticatorData[32] ^= AuthenticatorData.Flags.backupEligible.rawValue
        backupFlipped.authenticatorData[32] &= ~AuthenticatorData.Flags.backedUp.rawValue
        #expect(Self.code(try Self.verify(vector, backupFlipped)) == .backupStateInconsistent)
    }

    @Test("user verification is required by the gateway's ceremonies, and vectors without it are refused", arguments: accepted)
    func requiredVerification(_ vector: SpecVectors.Authentication) throws {
        let verified = try AuthenticatorData([UInt8](hex: vector.authenticatorData)).flags.contains(.userVerified)
        #expect(Self.code(try Self.verify(vector, userVerification: .required)) == (verified ? nil : .userNotVerified))
    }

    @Test("a counter that does not grow is refused as a possible clone; one that grows is accepted")
    func signCount() throws {
        let vector = try #require(Self.accepted.first)
        // The vectors sign with counter 0: any stored counter above zero means it went backwards.
        #expect(Self.code(try Self.verify(vector, storedCount: 5)) == .signCountNotIncreased)
        #expect(Self.code(try Self.verify(vector, storedCount: 0)) == nil)
    }

    @Test("a counter check never runs before the signature: a forged low counter is a bad signature, not a clone")
    func forgedCounterIsNotAClone() throws {
        let vector = try #require(Self.accepted.first)
        var forged = Response(vector)
        forged.signature[forged.signature.count - 2] ^= 0x01
        #expect(Self.code(try Self.verify(vector, forged, storedCount: 5)) == .badSignature)
    }

    @Test("a counter that grows from a stored value is accepted and reported", arguments: [UInt32(0), 1, 41])
    func growingCounter(stored: UInt32) throws {
        let key = P256.Signing.PrivateKey()
        let relyingParty = RelyingParty(id: "localhost", origin: "http://localhost:8080")
        let challenge = [UInt8](repeating: 9, count: 32)
        let clientData = Array(#"{"type":"webauthn.get","challenge":"\#(Base64URL.encode(challenge))","origin":"http://localhost:8080","crossOrigin":false,"other_keys_can_be_added_here":"x"}"#.utf8)
        let data = relyingParty.idHash + [0x05] + [0, 0, 0, UInt8(stored + 1)]
        let signature = Array(try key.signature(for: SHA256.hash(data: data + Array(SHA256.hash(data: clientData)))).derRepresentation)
        let publicKey = try COSEKey(encoded: [0xA5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20] + Array(key.publicKey.x963Representation[1...32]) + [0x22, 0x58, 0x20] + Array(key.publicKey.x963Representation[33...]))
        let ceremony = AssertionCeremony(
            relyingParty: relyingParty, challenge: challenge,
            credentials: [StoredCredential(id: [1, 2, 3], publicKey: publicKey, signCount: stored, backupEligible: false, userHandle: [7])]
        )
        let verified = try ceremony.verify(credentialID: [1, 2, 3], authenticatorData: data, clientDataJSON: clientData, signature: signature, userHandle: [7])
        #expect(verified.signCount == stored + 1)
    }
}
