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

    public init(certificate: String, serial: UInt64, keyId: String, principals: [String], validAfter: Date, validBefore: Date, certificateAuthority: String) {
        self.certificate = certificate
        self.serial = serial
        self.keyId = keyId
        self.principals = principals
        self.validAfter = validAfter
        self.validBefore = validBefore
        self.certificateAuthority = certificateAuthority
    }
}
