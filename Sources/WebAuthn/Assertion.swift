import Crypto

/// A credential as the server keeps it between ceremonies.
public struct StoredCredential: Hashable, Sendable {
    public let id: [UInt8]
    public let publicKey: COSEKey
    public let signCount: UInt32
    public let backupEligible: Bool
    /// The user handle the credential was created for (WebAuthn `user.id`).
    public let userHandle: [UInt8]

    public init(id: [UInt8], publicKey: COSEKey, signCount: UInt32, backupEligible: Bool, userHandle: [UInt8]) {
        self.id = id
        self.publicKey = publicKey
        self.signCount = signCount
        self.backupEligible = backupEligible
        self.userHandle = userHandle
    }
}

/// What a verified assertion tells the server to record.
public struct VerifiedAssertion: Hashable, Sendable {
    public let credentialID: [UInt8]
    public let signCount: UInt32
    public let flags: AuthenticatorData.Flags
}

/// One authentication ceremony (WebAuthn Level 3 §7.2) as the server set it up.
public struct AssertionCeremony: Sendable {
    public static let maximumAuthenticatorDataLength = 1024
    public static let maximumSignatureLength = 128

    public let relyingParty: RelyingParty
    public let challenge: [UInt8]
    /// `allowCredentials`: the keys this user may answer with.
    public let credentials: [StoredCredential]
    public let userVerification: UserVerification

    public init(relyingParty: RelyingParty, challenge: [UInt8], credentials: [StoredCredential], userVerification: UserVerification = .required) {
        self.relyingParty = relyingParty
        self.challenge = challenge
        self.credentials = credentials
        self.userVerification = userVerification
    }

    /// Every check of §7.2, the signature last but one and the counter last: a forged response
    /// must never be able to flag a genuine key as cloned.
    public func verify(
        credentialID: [UInt8], authenticatorData: [UInt8], clientDataJSON: [UInt8], signature: [UInt8], userHandle: [UInt8]?
    ) throws(WebAuthnError) -> VerifiedAssertion {
        guard let credential = credentials.first(where: { constantTimeEqual($0.id, credentialID) }) else {
            throw WebAuthnError(.unknownCredential, "this key is not one of the approver's enrolled keys")
        }
        if let userHandle, !constantTimeEqual(userHandle, credential.userHandle) {
            throw WebAuthnError(.userHandleMismatch, "the key answered for a different user")
        }
        guard authenticatorData.count <= Self.maximumAuthenticatorDataLength, signature.count <= Self.maximumSignatureLength else {
            throw WebAuthnError(.inputTooLarge, "authenticator data or signature is larger than any authenticator sends")
        }
        try relyingParty.check(ClientData(json: clientDataJSON), type: "webauthn.get", challenge: challenge)
        let data = try AuthenticatorData(authenticatorData)
        try relyingParty.check(data, userVerification: userVerification)
        guard data.flags.contains(.backupEligible) == credential.backupEligible else {
            throw WebAuthnError(.backupStateInconsistent, "the key's backup eligibility changed since it was enrolled")
        }
        let signed = authenticatorData + Array(SHA256.hash(data: clientDataJSON))
        guard credential.publicKey.isValidSignature(signature, for: signed) else {
            throw WebAuthnError(.badSignature, "the signature does not verify with the enrolled key")
        }
        // §7.2 step 22: a counter that does not grow means two authenticators share the key.
        if credential.signCount != 0 || data.signCount != 0, data.signCount <= credential.signCount {
            throw WebAuthnError(.signCountNotIncreased, "the key's signature counter went from \(credential.signCount) to \(data.signCount); it may have been cloned")
        }
        return VerifiedAssertion(credentialID: credential.id, signCount: data.signCount, flags: data.flags)
    }
}
