import Crypto

/// An assertion kept as evidence, re-verified later by someone who trusts nothing but the bytes
/// and the challenge they re-derive themselves: type, challenge, user presence and verification,
/// the relying party when known, and the signature with the recorded public key.
public struct RecordedAssertion: Sendable {
    public let publicKey: [UInt8]
    public let authenticatorData: [UInt8]
    public let clientDataJSON: [UInt8]
    public let signature: [UInt8]

    public init(publicKey: [UInt8], authenticatorData: [UInt8], clientDataJSON: [UInt8], signature: [UInt8]) {
        self.publicKey = publicKey
        self.authenticatorData = authenticatorData
        self.clientDataJSON = clientDataJSON
        self.signature = signature
    }

    public func verify(challenge: [UInt8], relyingParty: RelyingParty?) throws(WebAuthnError) {
        let clientData = try ClientData(json: clientDataJSON)
        guard clientData.type == "webauthn.get" else {
            throw WebAuthnError(.typeMismatch, "the recorded client data is of type '\(clientData.type)'")
        }
        guard constantTimeEqual(clientData.challenge, challenge) else {
            throw WebAuthnError(.challengeMismatch, "the key signed a challenge other than the one this request, approver and nonce give")
        }
        let data = try AuthenticatorData(authenticatorData)
        if let relyingParty {
            try relyingParty.check(clientData, type: "webauthn.get", challenge: challenge)
            try relyingParty.check(data, userVerification: .required)
        } else {
            guard data.flags.contains(.userPresent), data.flags.contains(.userVerified) else {
                throw WebAuthnError(.userNotVerified, "the recorded assertion lacks user presence or verification")
            }
        }
        let key = try COSEKey(encoded: publicKey)
        guard key.isValidSignature(signature, for: authenticatorData + Array(SHA256.hash(data: clientDataJSON))) else {
            throw WebAuthnError(.badSignature, "the recorded signature does not verify with the recorded key")
        }
    }
}
