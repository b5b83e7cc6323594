import CountersignAPI
import CountersignCore
import Foundation
import WebAuthn

/// Touches of a person's own key that say something other than an approval: breaking glass
/// (`StatementChallenge.Statement.breakGlass`) and a review's verdict. The challenge binds the
/// statement's digest, so the touch proves this person said exactly this, once.
extension HardwareKeyDesk {
    /// The options for `navigator.credentials.get` (or the CLI's authenticator) over `statement`.
    func statementOptions(
        _ statement: StatementChallenge.Statement, digest: [UInt8], about requestID: RequestID?, by caller: Actor
    ) async throws -> AssertionOptionsView {
        let relyingParty = try requireRelyingParty()
        let usable = try await store.keys(of: caller.name).filter(HardwareKeyRules.isUsable)
        guard !usable.isEmpty else {
            throw GatewayError(status: .conflict, code: APIErrorCode.noEnrolledKey, message: "you have no enrolled security key to touch (ask an admin for an invite)")
        }
        let now = clock.now()
        var generator = SystemRandomNumberGenerator()
        let challenge = try StatementChallenge.issue(statement, by: caller.name, about: requestID, digest: digest, at: now, using: &generator)
        let ceremony = CeremonyChallenge(id: Self.ceremonyID(), user: caller.name, purpose: .statement(challenge), issuedAt: now)
        try await store.openChallenge(ceremony, at: now)
        return AssertionOptionsView(
            ceremonyId: ceremony.id, challenge: Base64URL.encode(challenge.bytes), rpId: relyingParty.id, origin: relyingParty.origin,
            allowCredentials: usable.map { CredentialDescriptorView(id: Base64URL.encode($0.credentialID)) },
            timeout: Self.timeoutMilliseconds, contentDigest: digest.hexString
        )
    }

    /// Verifies `body` as the caller's touch over exactly `statement` with `digest`, spends its
    /// challenge, and returns the evidence, re-verifiable later from the statement alone.
    func verifyStatement(
        _ body: AssertionBody, _ statement: StatementChallenge.Statement, digest: [UInt8], about requestID: RequestID?, by caller: Actor
    ) async throws -> HardwareKeyEvidence {
        let relyingParty = try requireRelyingParty()
        let response = try AssertionResponse(body)
        let handle = try await store.userHandle(for: caller.name)
        let now = clock.now()
        let answered = try await store.answerStatement(challengeID: body.ceremonyId, person: caller.name, at: now) { challenge, keys in
            guard challenge.binds(statement, digest: digest, about: requestID) else {
                throw DomainError(.forbidden, "this key challenge was issued for something else; start again")
            }
            let usable = keys.filter(HardwareKeyRules.isUsable)
            let verified: VerifiedAssertion
            do throws(WebAuthnError) {
                verified = try response.verify(over: challenge.bytes, byOneOf: usable, userHandle: handle, relyingParty: relyingParty)
            } catch {
                throw GatewayError(error)
            }
            guard let key = usable.first(where: { $0.credentialID == verified.credentialID }) else {
                throw GatewayError(WebAuthnError(.unknownCredential, "this key is not enrolled"))
            }
            return key.used(signCount: verified.signCount, at: now)
        }
        // The key that answered was verified enrolled inside the transaction; its public key is
        // kept with the evidence so the touch can be checked again without the key table.
        guard let key = try await store.keys(of: caller.name).first(where: { $0.credentialID == response.credentialID }) else {
            throw GatewayError(WebAuthnError(.unknownCredential, "this key is not enrolled"))
        }
        return HardwareKeyEvidence(
            credentialID: key.credentialID, publicKey: key.publicKey, authenticatorData: response.authenticatorData,
            clientDataJSON: response.clientDataJSON, signature: response.signature, nonce: answered.nonce
        )
    }
}
