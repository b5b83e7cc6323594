import Foundation

/// A request for an SSH certificate: the public half of a key the client just made. Its private
/// half never leaves the client.
public struct SSHCertificateBody: Codable, Sendable {
    /// One `authorized_keys` line: `ssh-ed25519 AAAA… [comment]`.
    public let publicKey: String

    public init(publicKey: String) {
        self.publicKey = publicKey
    }
}

public struct SSHCertificateView: Codable, Sendable, Equatable {
    /// The certificate as one line of a `-cert.pub` file.
    public let certificate: String
    public let serial: UInt64
    /// What sshd logs for every use of the certificate.
    public let keyId: String
    public let principals: [String]
    public let validAfter: Date
    public let validBefore: Date
    /// The fingerprint of the CA that signed it, as `ssh-keygen -l` prints it.
    public let certificateAuthority: String
    /// The recording its sessions go to, when the request's terms record them.
    public let recordingId: String?

    public init(
        certificate: String, serial: UInt64, keyId: String, principals: [String], validAfter: Date, validBefore: Date, certificateAuthority: String,
        recordingId: String? = nil
    ) {
        self.certificate = certificate
        self.serial = serial
        self.keyId = keyId
        self.principals = principals
        self.validAfter = validAfter
        self.validBefore = validBefore
        self.certificateAuthority = certificateAuthority
        self.recordingId = recordingId
    }
}

/// `POST /v1/admin/ssh/ca/rotate`, and the deploy token key's rotation as
/// `DeployTokenKeyRotationBody`: when the next key starts signing.
public struct CertificateAuthorityRotationBody: Codable, Sendable {
    public static let defaultSwitchAfterSeconds = 24 * 3600
    public static let switchAfterRange = 0...(30 * 24 * 3600)

    public let switchAfterSeconds: Int?

    public init(switchAfterSeconds: Int?) {
        self.switchAfterSeconds = switchAfterSeconds
    }
}

/// One CA key hosts must trust.
public struct CertificateAuthorityKeyView: Codable, Sendable, Equatable {
    public let generation: Int
    public let fingerprint: String
    /// When it starts signing; absent for the first key, which always has.
    public let signsFrom: Date?
    /// When hosts may stop trusting it; absent while no successor is scheduled.
    public let retiresAt: Date?

    public init(generation: Int, fingerprint: String, signsFrom: Date?, retiresAt: Date?) {
        self.generation = generation
        self.fingerprint = fingerprint
        self.signsFrom = signsFrom
        self.retiresAt = retiresAt
    }
}

/// The CA keys after a rotation was scheduled, oldest first.
public struct CertificateAuthorityRotationView: Codable, Sendable, Equatable {
    public let keys: [CertificateAuthorityKeyView]

    public init(keys: [CertificateAuthorityKeyView]) {
        self.keys = keys
    }
}

/// `POST /v1/admin/deploy-tokens/keys/rotate`: the CA's body, for the same schedule.
public typealias DeployTokenKeyRotationBody = CertificateAuthorityRotationBody

/// One deploy token key verifiers must trust, under the `kid` the JWKS lists it by.
public struct DeployTokenKeyView: Codable, Sendable, Equatable {
    public let generation: Int
    /// Its RFC 7638 thumbprint, as tokens it signs name it.
    public let kid: String
    /// When it starts signing; absent for the first key, which always has.
    public let signsFrom: Date?
    /// When it leaves the JWKS; absent while no successor is scheduled.
    public let retiresAt: Date?

    public init(generation: Int, kid: String, signsFrom: Date?, retiresAt: Date?) {
        self.generation = generation
        self.kid = kid
        self.signsFrom = signsFrom
        self.retiresAt = retiresAt
    }
}

/// The deploy token keys after a rotation was scheduled, oldest first, as the JWKS lists them.
public struct DeployTokenKeyRotationView: Codable, Sendable, Equatable {
    public let keys: [DeployTokenKeyView]

    public init(keys: [DeployTokenKeyView]) {
        self.keys = keys
    }
}

/// A deploy token for an approved deploy request, as `POST /v1/requests/{id}/deploy-token` answers.
public struct DeployTokenView: Codable, Sendable, Equatable {
    /// The compact JWS (EdDSA) deploy tooling verifies against `/.well-known/jwks.json`.
    public let token: String
    /// The token's `jti`.
    public let jti: String
    /// The credential serial its issue is audited under.
    public let serial: UInt64
    /// The token's `exp`: the approved window's end, or a day after issue if that is sooner.
    public let expiresAt: Date
    /// The `kid` of the key that signed it.
    public let kid: String

    public init(token: String, jti: String, serial: UInt64, expiresAt: Date, kid: String) {
        self.token = token
        self.jti = jti
        self.serial = serial
        self.expiresAt = expiresAt
        self.kid = kid
    }
}
