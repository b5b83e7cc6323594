import CountersignCore
import WebAuthn

extension AuthenticatorRequirement {
    /// The WebAuthn trust this policy requirement stands for. Loading parsed each root already;
    /// should one still be refused here, enrolment is refused (503, the roots named in the
    /// message) rather than letting keys enrol unchecked.
    func attestationTrust() throws(GatewayError) -> AttestationTrust {
        guard requiresAttestation || aaguids != nil else { return .unrestricted }
        do throws(WebAuthnError) {
            return try AttestationTrust(rootsDER: attestationRoots.map(\.der), allowedAAGUIDs: aaguids)
        } catch {
            let sources = attestationRoots.map(\.source).joined(separator: ", ")
            throw GatewayError(WebAuthnError(error.code, "the policy's attestation roots (\(sources)) cannot be used: \(error.reason); nothing was enrolled"))
        }
    }
}
