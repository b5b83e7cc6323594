import Crypto
import Synchronization

/// Keys that live in memory only and die with the process: for tests and benchmarks, where a
/// signature must be real but nothing need outlast the run.
public final class EphemeralKeyring: Keyring {
    private let keys = Mutex<[KeyPurpose: HeldSigningKey]>([:])

    public init() {}

    public func signingKey(for purpose: KeyPurpose) throws(KeyringError) -> any SigningKey {
        keys.withLock { keys in
            if let key = keys[purpose] { return key }
            let key = HeldSigningKey(purpose: purpose, privateKey: Curve25519.Signing.PrivateKey())
            keys[purpose] = key
            return key
        }
    }
}
