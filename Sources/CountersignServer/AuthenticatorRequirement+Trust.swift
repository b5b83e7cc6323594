import CountersignCore
import WebAuthn

extension AuthenticatorRequirement {
    /// The WebAuthn trust this policy requirement stands for. Loading checked each root's PEM and
    /// DER shape; a root that still is not X.509 refuses enrolment (503, named in the message)
    /// rather than letting keys enrol unchecked.
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
