import Crypto

/// An Ed25519 key held in this process (loaded from a file, or made in memory): the private half
/// stays inside and only signatures leave.
struct HeldSigningKey: SigningKey {
    let purpose: KeyPurpose
    private let privateKey: Curve25519.Signing.PrivateKey

    /// Kept, not derived on each use: deriving it is a scalar multiplication, as costly as
    /// half a signature, and every certificate names its CA's key.
    let publicKey: Curve25519.Signing.PublicKey

    init(purpose: KeyPurpose, privateKey: Curve25519.Signing.PrivateKey) {
        self.purpose = purpose
        self.privateKey = privateKey
        self.publicKey = privateKey.publicKey
    }

    func signature(for message: [UInt8]) throws(KeyringError) -> [UInt8] {
        do {
            return Array(try privateKey.signature(for: message))
        } catch {
            throw KeyringError(.signingFailed, "the \(purpose) key could not sign")
        }
    }
}
