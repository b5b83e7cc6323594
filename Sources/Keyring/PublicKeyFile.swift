import Crypto
import Foundation

/// A public key as the keyring publishes it beside its private key: one line of base64 over the
/// raw 32 bytes. Auditors verify checkpoints with it, with nothing else from the gateway.
public enum PublicKeyFile {
    /// Longer than any such line with its line end; a larger file is not a public key file.
    static let maximumSize = 128

    public static func load(_ path: String) throws(KeyringError) -> Curve25519.Signing.PublicKey {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw KeyringError(.notFound, "no public key file at \(path)")
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: maximumSize + 1)) ?? Data()
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard data.count <= maximumSize, let raw = Data(base64Encoded: text),
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
            throw KeyringError(.invalidKeyFile, "\(path) does not hold a base64 Ed25519 public key")
        }
        return key
    }

    public static func text(_ key: Curve25519.Signing.PublicKey) -> String {
        key.rawRepresentation.base64EncodedString() + "\n"
    }
}
