import Testing
@testable import WebAuthn

@Suite("Real-device responses from py_webauthn's suite (rpId localhost)")
struct DeviceVectorTests {
    static func relyingParty(_ origin: String) -> RelyingParty { RelyingParty(id: "localhost", origin: origin) }

    /// These devices did not all verify the user at registration, so UV is `preferred` here; the
    /// gateway's own ceremonies require it (tested with the W3C vectors).
    @Test("registrations are accepted, or refused for the documented reason", arguments: DeviceVectors.loaded.registration)
    func registration(_ vector: DeviceVectors.Registration) {
        let ceremony = RegistrationCeremony(
            relyingParty: Self.relyingParty(vector.origin), challenge: [UInt8](hex: vector.challenge), userVerification: .preferred
        )
        let result = Result { () throws(WebAuthnError) in
            try ceremony.verify(attestationObject: [UInt8](hex: vector.attestationObject), clientDataJSON: [UInt8](hex: vector.clientDataJSON))
        }
        switch (vector.expect, result) {
        case (let expect, .success(let credential)) where expect.hasPrefix("accept"):
            #expect(credential.id == [UInt8](hex: vector.credentialID))
            #expect(credential.attestation == (vector.fmt == "packed" ? .packedCertificate : .none))
        case (let expect, .failure(let error)) where expect.hasPrefix("reject: InvalidCBORData"):
            #expect(error.code == .malformedCBOR)
        default:
            Issue.record("expected \(vector.expect), got \(result)")
        }
    }

    @Test("assertions are accepted, or refused for the documented reason", arguments: DeviceVectors.loaded.authentication)
    func assertion(_ vector: DeviceVectors.Authentication) throws {
        let userHandle = vector.userHandle.map { [UInt8](hex: $0) }
        let credential = StoredCredential(
            id: [UInt8](hex: vector.credentialID), publicKey: try COSEKey(encoded: [UInt8](hex: vector.credentialPublicKey)),
            signCount: vector.storedSignCount,
            backupEligible: try AuthenticatorData([UInt8](hex: vector.authenticatorData)).flags.contains(.backupEligible),
            userHandle: userHandle ?? []
        )
        let ceremony = AssertionCeremony(
            relyingParty: Self.relyingParty(vector.origin), challenge: [UInt8](hex: vector.challenge), credentials: [credential],
            userVerification: vector.requireUserVerification ? .required : .preferred
        )
        let result = Result { () throws(WebAuthnError) in
            try ceremony.verify(
                credentialID: credential.id, authenticatorData: [UInt8](hex: vector.authenticatorData),
                clientDataJSON: [UInt8](hex: vector.clientDataJSON), signature: [UInt8](hex: vector.signature), userHandle: userHandle
            )
        }
        switch (vector.expect, result) {
        case ("accept", .success(let verified)):
            #expect(verified.signCount > vector.storedSignCount)
        case (let expect, .failure(let error)) where expect.hasPrefix("reject: User verification"):
            #expect(error.code == .userNotVerified)
        default:
            Issue.record("expected \(vector.expect), got \(result)")
        }
        // The same response again, with the counter it just reported stored: a replay is refused.
        if case .success(let verified) = result {
            let replay = AssertionCeremony(
                relyingParty: ceremony.relyingParty, challenge: ceremony.challenge,
                credentials: [StoredCredential(id: credential.id, publicKey: credential.publicKey, signCount: verified.signCount, backupEligible: credential.backupEligible, userHandle: credential.userHandle)],
                userVerification: ceremony.userVerification
            )
            #expect(throws: WebAuthnError(.signCountNotIncreased, "")) {
                try replay.verify(
                    credentialID: credential.id, authenticatorData: [UInt8](hex: vector.authenticatorData),
                    clientDataJSON: [UInt8](hex: vector.clientDataJSON), signature: [UInt8](hex: vector.signature), userHandle: userHandle
                )
            }
        }
    }
}
