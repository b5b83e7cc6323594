import Foundation

// Hardware keys on the wire. Binary values (challenges, credential ids, CBOR, signatures) are
// base64url without padding, as WebAuthn's own JSON serialisation writes them.

/// `POST /v1/admin/invites`
public struct InviteBody: Codable, Sendable, Equatable {
    public let username: String
    public init(username: String) { self.username = username }
}

/// The invite code is shown once, here; the gateway keeps only its hash.
public struct InviteView: Codable, Sendable, Equatable {
    public let username: String
    public let code: String
    public let expiresAt: Date
    public init(username: String, code: String, expiresAt: Date) {
        self.username = username
        self.code = code
        self.expiresAt = expiresAt
    }
}

public struct CredentialDescriptorView: Codable, Sendable, Equatable {
    public let type: String
    public let id: String
    public init(id: String) {
        self.type = "public-key"
        self.id = id
    }
}

/// `POST /v1/keys/registration-options`: what `navigator.credentials.create` needs, plus the
/// ceremony id to send back.
public struct RegistrationOptionsView: Codable, Sendable, Equatable {
    public struct RelyingPartyView: Codable, Sendable, Equatable {
        public let id: String
        public let name: String
    }

    public struct UserView: Codable, Sendable, Equatable {
        public let id: String
        public let name: String
        public let displayName: String
    }

    public struct ParameterView: Codable, Sendable, Equatable {
        public let type: String
        public let alg: Int
    }

    public struct SelectionView: Codable, Sendable, Equatable {
        public let userVerification: String
        public let residentKey: String
    }

    public let ceremonyId: String
    public let rp: RelyingPartyView
    public let user: UserView
    public let challenge: String
    public let pubKeyCredParams: [ParameterView]
    public let timeout: Int
    public let attestation: String
    public let authenticatorSelection: SelectionView
    public let excludeCredentials: [CredentialDescriptorView]

    public init(
        ceremonyId: String, rpID: String, rpName: String, userHandle: String, username: String, challenge: String,
        algorithms: [Int], timeout: Int, attestation: String, excludeCredentials: [CredentialDescriptorView]
    ) {
        self.ceremonyId = ceremonyId
        self.rp = RelyingPartyView(id: rpID, name: rpName)
        self.user = UserView(id: userHandle, name: username, displayName: username)
        self.challenge = challenge
        self.pubKeyCredParams = algorithms.map { ParameterView(type: "public-key", alg: $0) }
        self.timeout = timeout
        self.attestation = attestation
        self.authenticatorSelection = SelectionView(userVerification: "required", residentKey: "discouraged")
        self.excludeCredentials = excludeCredentials
    }
}

/// `POST /v1/keys`: the browser's answer to the registration options.
public struct EnrolKeyBody: Codable, Sendable, Equatable {
    public let ceremonyId: String
    public let inviteCode: String
    public let name: String
    public let credentialId: String
    public let attestationObject: String
    public let clientDataJSON: String

    public init(ceremonyId: String, inviteCode: String, name: String, credentialId: String, attestationObject: String, clientDataJSON: String) {
        self.ceremonyId = ceremonyId
        self.inviteCode = inviteCode
        self.name = name
        self.credentialId = credentialId
        self.attestationObject = attestationObject
        self.clientDataJSON = clientDataJSON
    }

    enum CodingKeys: String, CodingKey {
        case ceremonyId, inviteCode, name, credentialId, attestationObject
        case clientDataJSON = "clientDataJson"
    }
}

public struct KeyView: Codable, Sendable, Equatable {
    public let credentialId: String
    public let name: String
    public let attestation: String
    public let enrolledAt: Date
    public let lastUsedAt: Date?
    /// Set when the key's counter failed to grow: it may be cloned and is refused.
    public let flaggedAt: Date?

    public init(credentialId: String, name: String, attestation: String, enrolledAt: Date, lastUsedAt: Date?, flaggedAt: Date?) {
        self.credentialId = credentialId
        self.name = name
        self.attestation = attestation
        self.enrolledAt = enrolledAt
        self.lastUsedAt = lastUsedAt
        self.flaggedAt = flaggedAt
    }
}

public struct KeyListView: Codable, Sendable, Equatable {
    public let keys: [KeyView]
    public init(keys: [KeyView]) { self.keys = keys }
}

/// `POST /v1/requests/{id}/approval-options` and `POST /v1/keys/{credential_id}/removal-options`:
/// what `navigator.credentials.get` needs.
public struct AssertionOptionsView: Codable, Sendable, Equatable {
    public let ceremonyId: String
    public let challenge: String
    public let rpId: String
    /// The one origin the gateway accepts in client data: a client that is not a browser (the
    /// CLI, through fido2-assert) writes its clientDataJSON with it. Left out by older gateways.
    public let origin: String?
    public let allowCredentials: [CredentialDescriptorView]
    public let userVerification: String
    public let timeout: Int
    /// For an approval, the request's content digest the challenge is bound to, for the page to show.
    public let contentDigest: String?
    /// For a break-glass ask, whether its rule wants the touch (key_touch): a client makes none it
    /// does not want, though one made is still checked and recorded. Absent for other challenges.
    public var touchWanted: Bool?

    public init(
        ceremonyId: String, challenge: String, rpId: String, origin: String?, allowCredentials: [CredentialDescriptorView], timeout: Int, contentDigest: String?,
        touchWanted: Bool? = nil
    ) {
        self.ceremonyId = ceremonyId
        self.challenge = challenge
        self.rpId = rpId
        self.origin = origin
        self.allowCredentials = allowCredentials
        self.userVerification = "required"
        self.timeout = timeout
        self.contentDigest = contentDigest
        self.touchWanted = touchWanted
    }
}

/// `POST /v1/requests/{id}/approve-with-key` and `POST /v1/keys/{credential_id}/remove`: the
/// browser's assertion.
public struct AssertionBody: Codable, Sendable, Equatable {
    public let ceremonyId: String
    public let credentialId: String
    public let authenticatorData: String
    public let clientDataJSON: String
    public let signature: String
    public let userHandle: String?

    public init(ceremonyId: String, credentialId: String, authenticatorData: String, clientDataJSON: String, signature: String, userHandle: String?) {
        self.ceremonyId = ceremonyId
        self.credentialId = credentialId
        self.authenticatorData = authenticatorData
        self.clientDataJSON = clientDataJSON
        self.signature = signature
        self.userHandle = userHandle
    }

    enum CodingKeys: String, CodingKey {
        case ceremonyId, credentialId, authenticatorData, signature, userHandle
        case clientDataJSON = "clientDataJson"
    }
}
