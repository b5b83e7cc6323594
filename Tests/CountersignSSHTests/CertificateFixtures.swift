import Crypto
import CountersignSSH
import Keyring

enum CertificateFixtures {
    /// 2026-12-01T10:00:00Z.
    static let validAfter: UInt64 = 1_796_119_200
    static let subject = Curve25519.Signing.PrivateKey()

    static func certificate(
        serial: UInt64 = 42, principals: [String] = ["postgres"], validAfter: UInt64 = validAfter, lifetime: UInt64 = 900,
        options: [CriticalOption] = [.forceCommand("/usr/bin/countersign record"), .sourceAddress(["10.0.0.0/8", "192.0.2.7"])],
        extensions: Set<Extension> = [.permitPTY], keyID: String = "countersign:0123456789abcdefghjk:bob",
        subject: Curve25519.Signing.PublicKey = subject.publicKey
    ) throws -> SSHCertificate {
        try SSHCertificate(
            nonce: Array(SHA256.hash(data: [UInt8](keyID.utf8) + [UInt8(serial & 0xFF)])), subjectKey: SSHEd25519PublicKey(subject),
            serial: serial, kind: .user, keyID: keyID, principals: principals, validAfter: validAfter,
            validBefore: validAfter + lifetime, criticalOptions: options, extensions: extensions
        )
    }

    static func certificateAuthority() throws -> any SigningKey {
        try EphemeralKeyring().signingKey(for: KeyPurpose(rawValue: "ssh-user-ca"))
    }
}
