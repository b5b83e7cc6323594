import Crypto
import Foundation

/// An Ed25519 private key in the file format `ssh-keygen` writes and `ssh -i` reads (OpenSSH's
/// PROTOCOL.key, `openssh-key-v1`), unencrypted: the key is made for one certificate and lives
/// in a 0600 file only as long as the caller keeps it.
public enum OpenSSHPrivateKey {
    static let magic = Array("openssh-key-v1".utf8) + [0]
    /// The cipher "none" pads the private section to multiples of 8 bytes.
    static let blockSize = 8

    public static func fileText(_ key: Curve25519.Signing.PrivateKey, comment: String) throws(SSHFormatError) -> String {
        if !comment.isEmpty { try SSHCertificate.checkText(comment, "comment", maximumLength: 256) }
        let publicKey = SSHEd25519PublicKey(key.publicKey)
        var generator = SystemRandomNumberGenerator()
        let check = UInt32.random(in: .min ... .max, using: &generator)
        var secret = SSHWireWriter()
        // The same random number twice: a reader that decrypted with the wrong passphrase sees two
        // that differ.
        secret.uint32(check)
        secret.uint32(check)
        secret.string(SSHEd25519PublicKey.algorithm)
        secret.string(publicKey.rawRepresentation)
        // Ed25519's "private key" in this format is the 32-byte seed followed by the public key.
        secret.string(Array(key.rawRepresentation) + publicKey.rawRepresentation)
        secret.string(comment)
        var padding: UInt8 = 1
        while secret.bytes.count % blockSize != 0 {
            secret.byte(padding)
            padding += 1
        }
        var file = SSHWireWriter()
        magic.forEach { file.byte($0) }
        file.string("none")
        file.string("none")
        file.string([UInt8]())
        file.uint32(1)
        file.string(publicKey.blob)
        file.string(secret.bytes)
        let encoded = Data(file.bytes).base64EncodedString()
        let lines = stride(from: 0, to: encoded.count, by: 70).map { offset in
            let start = encoded.index(encoded.startIndex, offsetBy: offset)
            return String(encoded[start..<(encoded.index(start, offsetBy: 70, limitedBy: encoded.endIndex) ?? encoded.endIndex)])
        }
        return (["-----BEGIN OPENSSH PRIVATE KEY-----"] + lines + ["-----END OPENSSH PRIVATE KEY-----"]).joined(separator: "\n") + "\n"
    }
}
