import Crypto
import Foundation

/// The site keys are bound to (WebAuthn Level 3 §5.1.2 rp.id) and the one origin its pages are
/// served from. The gateway is never embedded in another site, so there is exactly one origin.
public struct RelyingParty: Hashable, Sendable {
    public let id: String
    public let origin: String

    public init(id: String, origin: String) {
        self.id = id
        self.origin = origin
    }

    public var idHash: [UInt8] { Array(SHA256.hash(data: Data(id.utf8))) }

    /// §7.1 steps 7–9 and §7.2 steps 11–13, shared by both ceremonies.
    func check(_ clientData: ClientData, type: String, challenge: [UInt8]) throws(WebAuthnError) {
        guard clientData.type == type else {
            throw WebAuthnError(.typeMismatch, "client data type is '\(clientData.type)', expected '\(type)'")
        }
        guard constantTimeEqual(clientData.challenge, challenge) else {
            throw WebAuthnError(.challengeMismatch, "the response answers a different challenge")
        }
        guard clientData.origin == origin else {
            throw WebAuthnError(.originMismatch, "the response comes from origin '\(clientData.origin)', expected '\(origin)'")
        }
        guard !clientData.crossOrigin else {
            throw WebAuthnError(.crossOrigin, "the ceremony ran in a cross-origin frame; the gateway is never embedded")
        }
        guard clientData.topOrigin == nil else {
            throw WebAuthnError(.crossOrigin, "the ceremony ran inside another site (topOrigin is set)")
        }
    }

    /// §7.1 steps 13–15 and §7.2 steps 15–17.
    func check(_ data: AuthenticatorData, userVerification: UserVerification) throws(WebAuthnError) {
        guard constantTimeEqual(data.rpIDHash, idHash) else {
            throw WebAuthnError(.relyingPartyMismatch, "the authenticator data is for a different relying party id")
        }
        guard data.flags.contains(.userPresent) else {
            throw WebAuthnError(.userNotPresent, "the key was not touched (user presence flag clear)")
        }
        if userVerification == .required, !data.flags.contains(.userVerified) {
            throw WebAuthnError(.userNotVerified, "the key did not verify the user (PIN or biometric)")
        }
    }
}

/// Whether the authenticator must verify the user (PIN, biometric) beyond a touch. The gateway
/// requires it; `preferred` exists for conformance vectors made without it.
public enum UserVerification: String, Hashable, Sendable {
    case required, preferred
}

func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    return zip(lhs, rhs).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
}
