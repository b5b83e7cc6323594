import Crypto
import Foundation
import Synchronization

/// Keys that live in memory only and die with the process: for tests and benchmarks, where a
/// signature must be real but nothing need outlast the run.
public final class EphemeralKeyring: Keyring {
    private let keys = Mutex<[KeyPurpose: [Int: HeldSigningKey]]>([:])
    private let schedules = Mutex<[KeyPurpose: KeySchedule]>([:])

    public init() {}

    public func signingKey(for purpose: KeyPurpose) throws(KeyringError) -> any SigningKey {
        key(purpose, generation: 1)
    }

    public func keySet(for purpose: KeyPurpose) throws(KeyringError) -> KeySet {
        keySet(purpose, schedules.withLock { $0[purpose] } ?? .initial)
    }

    public func prepareRotation(of purpose: KeyPurpose, switchAt: Date, overlap: TimeInterval, at now: Date) throws(KeyringError) -> KeySet {
        keySet(purpose, try keySet(for: purpose).schedule.rotating(switchAt: switchAt, overlap: overlap, at: now))
    }

    public func prepareDistrust(of purpose: KeyPurpose, at now: Date) throws(KeyringError) -> KeySet {
        keySet(purpose, try keySet(for: purpose).schedule.distrustingSigner(at: now))
    }

    public func publish(_ rotation: KeySet) throws(KeyringError) {
        schedules.withLock { $0[rotation.purpose] = rotation.schedule }
    }

    private func keySet(_ purpose: KeyPurpose, _ schedule: KeySchedule) -> KeySet {
        KeySet(
            purpose: purpose, schedule: schedule,
            keys: Dictionary(uniqueKeysWithValues: schedule.generations.map { ($0.number, key(purpose, generation: $0.number)) })
        )
    }

    private func key(_ purpose: KeyPurpose, generation: Int) -> HeldSigningKey {
        keys.withLock { keys in
            if let key = keys[purpose]?[generation] { return key }
            let key = HeldSigningKey(purpose: purpose, privateKey: Curve25519.Signing.PrivateKey())
            keys[purpose, default: [:]][generation] = key
            return key
        }
    }
}
