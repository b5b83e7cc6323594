import Crypto
import Foundation
import Testing
@testable import WebAuthn

@Suite("Registration (WebAuthn Level 3 §7.1) against the W3C §16 vectors")
struct RegistrationTests {
    static let vectors = SpecVectors.loaded
    static let relyingParty = RelyingParty(id: vectors.rp_id, origin: vectors.origin)

    static func ceremony(_ vector: SpecVectors.Registration, userVerification: UserVerification = .preferred, relyingParty: RelyingParty = relyingParty) -> RegistrationCeremony {
        RegistrationCeremony(relyingParty: relyingParty, challenge: [UInt8](hex: vector.challenge), userVerification: userVerification)
    }

    static func verify(_ vector: SpecVectors.Registration, clientData: [UInt8]? = nil, attestationObject: [UInt8]? = nil, in ceremony: RegistrationCeremony? = nil) throws(WebAuthnError) -> RegisteredCredential {
        try (ceremony ?? Self.ceremony(vector)).verify(
            attestationObject: attestationObject ?? [UInt8](hex: vector.attestationObject),
            clientDataJSON: clientData ?? [UInt8](hex: vector.clientDataJSON)
        )
    }

    static func refusal(_ body: () throws(WebAuthnError) -> RegisteredCredential) -> WebAuthnError.Code? {
        do {
            _ = try body()
            return nil
        } catch {
            return error.code
        }
    }

    /// The vectors were made without requiring user verification; the gateway's own ceremonies
    /// require it (see `userVerificationRequired`).
    @Test("each vector is accepted or refused as the spec file expects", arguments: vectors.registration)
    func outcome(_ vector: SpecVectors.Registration) throws {
        if vector.accepted {
            let credential = try Self.verify(vector)
            #expect(credential.id == [UInt8](hex: vector.credentialID))
            #expect(credential.signCount == 0)
            #expect(credential.attestation == (vector.name.hasPrefix("Packed") ? .packedSelf : .none))
        } else {
            #expect(Self.refusal { () throws(WebAuthnError) in try Self.verify(vector) } == .crossOrigin)
        }
    }

    static var accepted: [SpecVectors.Registration] { vectors.registration.filter(\.accepted) }

    @Test("a vector made without user verification is refused when the ceremony requires it", arguments: accepted)
    func userVerificationRequired(_ vector: SpecVectors.Registration) throws {
        let data = try #require(try Self.authenticatorData(of: vector))
        let verdict = Self.refusal { () throws(WebAuthnError) in try Self.verify(vector, in: Self.ceremony(vector, userVerification: .required)) }
        #expect(verdict == (data.flags.contains(.userVerified) ? nil : .userNotVerified))
    }

    static func authenticatorData(of vector: SpecVectors.Registration) throws -> AuthenticatorData? {
        let object = try CBORDecoder.decode([UInt8](hex: vector.attestationObject))
        guard case .bytes(let bytes) = object["authData"] else { return nil }
        return try AuthenticatorData(bytes)
    }

    @Test("the wrong challenge, origin, relying party or ceremony type is refused", arguments: accepted)
    func boundToTheCeremony(_ vector: SpecVectors.Registration) {
        var challenge = [UInt8](hex: vector.challenge)
        challenge[0] ^= 1
        let otherChallenge = RegistrationCeremony(relyingParty: Self.relyingParty, challenge: challenge, userVerification: .preferred)
        #expect(Self.refusal { () throws(WebAuthnError) in try Self.verify(vector, in: otherChallenge) } == .challengeMismatch)
        let otherOrigin = Self.ceremony(vector, relyingParty: RelyingParty(id: "example.org", origin: "https://example.org:8443"))
        #expect(Self.refusal { () throws(WebAuthnError) in try Self.verify(vector, in: otherOrigin) } == .originMismatch)
        let otherRP = Self.ceremony(vector, relyingParty: RelyingParty(id: "login.example.org", origin: "https://example.org"))
        #expect(Self.refusal { () throws(WebAuthnError) in try Self.verify(vector, in: otherRP) } == .relyingPartyMismatch)
        let asAssertion = String(decoding: [UInt8](hex: vector.clientDataJSON), as: UTF8.self).replacingOccurrences(of: "webauthn.create", with: "webauthn.get")
        #expect(Self.refusal { () throws(WebAuthnError) in try Self.verify(vector, clientData: Array(asAssertion.utf8)) } == .typeMismatch)
    }

    @Test("a key of an algorithm that was not offered is refused")
    func algorithmNotOffered() throws {
        let vector = try #require(Self.accepted.first)
        let edOnly = RegistrationCeremony(relyingParty: Self.relyingParty, challenge: [UInt8](hex: vector.challenge), algorithms: [.edDSA], userVerification: .preferred)
        #expect(Self.refusal { () throws(WebAuthnError) in try Self.verify(vector, in: edOnly) } == .unsupportedKey)
    }

    @Test("a packed self attestation with a flipped signature bit is refused")
    func packedSelfBadSignature() throws {
        let vector = try #require(Self.vectors.registration.first { $0.name == "PackedSelfES256" })
        var object = [UInt8](hex: vector.attestationObject)
        // The signature sits right after "sig" and its byte-string header.
        let sigKey = Array("csig".utf8)
        let at = try #require((0..<object.count - 4).first { Array(object[$0..<$0 + 4]) == sigKey })
        object[at + 4 + 2 + 10] ^= 0x01
        #expect(Self.refusal { () throws(WebAuthnError) in try Self.verify(vector, attestationObject: object) } == .badSignature)
    }

    @Test("a 'none' statement must be empty, and unknown formats are refused")
    func statementShapes() throws {
        let vector = try #require(Self.vectors.registration.first { $0.name == "NoneES256" })
        let object = [UInt8](hex: vector.attestationObject)
        // a0 (empty attStmt) becomes a1 01 02 ({1: 2}).
        let emptyStatement = try #require((0..<object.count - 8).first { Array(object[$0..<$0 + 8]) == Array("attStmt".utf8) + [0xA0] })
        var nonEmpty = object
        nonEmpty.replaceSubrange(emptyStatement + 7...emptyStatement + 7, with: [0xA1, 0x01, 0x02])
        #expect(Self.refusal { () throws(WebAuthnError) in try Self.verify(vector, attestationObject: nonEmpty) } == .malformedStructure)
        // "fmt": "none" is bytes 1...9 (63 666d74 64 6e6f6e65); "none" becomes "tpm2".
        var unknown = object
        #expect(Array(unknown[6..<10]) == Array("none".utf8))
        unknown.replaceSubrange(6..<10, with: Array("tpm2".utf8))
        #expect(Self.refusal { () throws(WebAuthnError) in try Self.verify(vector, attestationObject: unknown) } == .unsupportedAttestation)
    }

    @Test("trailing bytes after the attestation object or the authenticator data are refused")
    func trailingBytes() throws {
        let vector = try #require(Self.accepted.first)
        let object = [UInt8](hex: vector.attestationObject)
        #expect(Self.refusal { () throws(WebAuthnError) in try Self.verify(vector, attestationObject: object + [0]) } == .malformedCBOR)
    }

    @Test("an attestation object over the size bound is refused before it is parsed")
    func sizeBound() throws {
        let vector = try #require(Self.accepted.first)
        let huge = [UInt8](repeating: 0, count: RegistrationCeremony.maximumAttestationObjectLength + 1)
        #expect(Self.refusal { () throws(WebAuthnError) in try Self.verify(vector, attestationObject: huge) } == .inputTooLarge)
    }
}
