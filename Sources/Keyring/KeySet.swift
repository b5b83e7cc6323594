import Crypto
import Foundation

/// Every published generation of one purpose's key with its schedule: which signs at a given
/// time, and which verifiers must trust.
public struct KeySet: Sendable {
    public let purpose: KeyPurpose
    public let schedule: KeySchedule
    private let keys: [Int: any SigningKey]

    init(purpose: KeyPurpose, schedule: KeySchedule, keys: [Int: any SigningKey]) {
        self.purpose = purpose
        self.schedule = schedule
        self.keys = keys
    }

    /// Never a distrusted key: were the clock set back to before the distrust, signing stops
    /// rather than use a compromised key again.
    public func signer(at now: Date) throws(KeyringError) -> any SigningKey {
        let generation = schedule.signer(at: now)
        guard !generation.distrusted else {
            throw KeyringError(.invalidSchedule, "generation \(generation.number) of the \(purpose) key was distrusted; the clock reads \(now), before the key that replaced it")
        }
        guard let key = keys[generation.number] else {
            throw KeyringError(.notFound, "generation \(generation.number) of the \(purpose) key is not in the keyring")
        }
        return key
    }

    /// The public keys withdrawn as compromised, which verifiers must refuse outright, oldest first.
    public var distrusted: [(generation: KeyGeneration, publicKey: Curve25519.Signing.PublicKey)] {
        schedule.generations.filter(\.distrusted).compactMap { generation in keys[generation.number].map { (generation, $0.publicKey) } }
    }

    /// The public keys to trust at `now`, oldest generation first.
    public func published(at now: Date) -> [(generation: KeyGeneration, publicKey: Curve25519.Signing.PublicKey)] {
        schedule.published(at: now).compactMap { generation in keys[generation.number].map { (generation, $0.publicKey) } }
    }
}
