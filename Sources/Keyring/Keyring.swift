import Crypto
import Foundation

/// What a key is for. Each purpose has its own key, so that a key compromised or rotated for one
/// use (say, deploy tokens) leaves the others standing.
public struct KeyPurpose: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    /// Signs the audit log's checkpoints, which auditors verify offline.
    public static let auditCheckpoint = KeyPurpose(rawValue: "checkpoint-signing")

    /// Signs the OpenSSH user certificates of approved SSH requests, which hosts trust through
    /// `TrustedUserCAKeys`.
    public static let sshUserCertificates = KeyPurpose(rawValue: "ssh-user-ca")

    /// Signs the deploy tokens of approved deploy requests, which deploy tooling verifies offline
    /// against the gateway's JWKS.
    public static let deployTokens = KeyPurpose(rawValue: "deploy-token-signing")
}

/// A key that signs without handing out its private half: a file today, an HSM or a KMS later,
/// with no caller the wiser. Ed25519, the one algorithm every signer here uses (checkpoints, SSH
/// certificates, deploy tokens).
public protocol SigningKey: Sendable {
    var purpose: KeyPurpose { get }
    var publicKey: Curve25519.Signing.PublicKey { get }
    func signature(for message: [UInt8]) throws(KeyringError) -> [UInt8]
}

/// Where the gateway's signing keys live. A key is created on first use and the same one is
/// returned ever after, to every gateway that shares the keyring.
public protocol Keyring: Sendable {
    /// The first generation of the purpose's key: for keys that are never rotated (checkpoints).
    func signingKey(for purpose: KeyPurpose) throws(KeyringError) -> any SigningKey

    /// Every published generation of the purpose's key, as every gateway sharing the keyring
    /// sees it now (a rotation made by one is seen by all).
    func keySet(for purpose: KeyPurpose) throws(KeyringError) -> KeySet

    /// Makes the next generation of the purpose's key and the schedule that switches to it, without
    /// publishing either: `publish` does, once the rotation is audited. Made again after a failed
    /// attempt, it takes up the key that attempt left.
    func prepareRotation(of purpose: KeyPurpose, switchAt: Date, overlap: TimeInterval, at now: Date) throws(KeyringError) -> KeySet

    /// Makes the schedule that withdraws the key signing at `now` at once (`KeySchedule.distrustingSigner`)
    /// and the key that signs instead, without publishing either: `publish` does, once audited.
    func prepareDistrust(of purpose: KeyPurpose, at now: Date) throws(KeyringError) -> KeySet

    /// Makes a prepared rotation the schedule every gateway signs and publishes by.
    func publish(_ rotation: KeySet) throws(KeyringError)
}
