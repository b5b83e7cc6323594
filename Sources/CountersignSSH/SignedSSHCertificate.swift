import Crypto
import Foundation
import Keyring

/// A certificate with the CA's signature: the bytes sshd checks against `TrustedUserCAKeys`.
public struct SignedSSHCertificate: Hashable, Sendable {
    public let certificate: SSHCertificate
    public let caKey: SSHEd25519PublicKey
    public let blob: [UInt8]

    /// The whole certificate as `ssh-keygen` writes a `-cert.pub` file, on one line.
    public func openSSHLine(comment: String) -> String {
        "\(SSHCertificate.algorithm) \(Data(blob).base64EncodedString()) \(comment)"
    }

    /// SHA-256 of the whole blob: what ties this exact certificate to its row and audit event.
    public var digest: [UInt8] { Array(SHA256.hash(data: blob)) }
}

extension SSHCertificate {
    /// Signs every field and the CA's key (PROTOCOL.certkeys: the signature covers all that
    /// precedes it) with the CA, which keeps its private half.
    public func signed(by ca: any SigningKey) throws(KeyringError) -> SignedSSHCertificate {
        let caKey = SSHEd25519PublicKey(ca.publicKey)
        let body = body(signatureKey: caKey)
        let signature = try ca.signature(for: body)
        var writer = SSHWireWriter()
        writer.nested { blob in
            blob.string(SSHEd25519PublicKey.algorithm)
            blob.string(signature)
        }
        return SignedSSHCertificate(certificate: self, caKey: caKey, blob: body + writer.bytes)
    }
}
