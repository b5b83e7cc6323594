import Crypto
import Foundation
import SecureFiles
import Synchronization

/// Signing keys as files in one directory (0700): `<purpose>.key` holds the raw 32-byte Ed25519
/// private key (0600 from birth, refused if anyone else may read it) and `<purpose>.pub` the
/// public key in base64 (0644), for whoever verifies offline.
public final class FileKeyring: Keyring {
    public let directory: String
    private let loaded = Mutex<[KeyPurpose: HeldSigningKey]>([:])

    public init(directory: String) {
        self.directory = directory
    }

    public func signingKey(for purpose: KeyPurpose) throws(KeyringError) -> any SigningKey {
        if let key = loaded.withLock({ $0[purpose] }) { return key }
        let key = try loadOrCreate(purpose)
        loaded.withLock { $0[purpose] = key }
        return key
    }

    public func privateKeyPath(for purpose: KeyPurpose) -> String { path("\(purpose.rawValue).key") }
    public func publicKeyPath(for purpose: KeyPurpose) -> String { path("\(purpose.rawValue).pub") }

    private func loadOrCreate(_ purpose: KeyPurpose) throws(KeyringError) -> HeldSigningKey {
        let privatePath = privateKeyPath(for: purpose)
        let key: Curve25519.Signing.PrivateKey
        if SecureFiles.exists(privatePath) {
            key = try Self.load(privatePath)
        } else {
            let created = Curve25519.Signing.PrivateKey()
            do {
                try SecureFiles.createDirectory(directory, mode: 0o700)
                try SecureFiles.writeNew(privatePath, bytes: Array(created.rawRepresentation), mode: 0o600)
                key = created
            } catch where error.code == .alreadyExists {
                // Another gateway created it first: use theirs, so both sign with one key.
                key = try Self.load(privatePath)
            } catch {
                throw KeyringError(error)
            }
        }
        try writePublicKeyIfMissing(key.publicKey, for: purpose)
        return HeldSigningKey(purpose: purpose, privateKey: key)
    }

    private static func load(_ path: String) throws(KeyringError) -> Curve25519.Signing.PrivateKey {
        let raw: [UInt8]
        do {
            raw = try SecureFiles.readSecret(path, maximumSize: 64)
        } catch {
            throw KeyringError(error)
        }
        guard raw.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw KeyringError(.invalidKeyFile, "\(path) does not hold a 32-byte Ed25519 private key")
        }
        return key
    }

    private func writePublicKeyIfMissing(_ key: Curve25519.Signing.PublicKey, for purpose: KeyPurpose) throws(KeyringError) {
        let publicPath = publicKeyPath(for: purpose)
        if SecureFiles.exists(publicPath) {
            // A stale public key would make every later verification fail for the wrong reason.
            guard (try? PublicKeyFile.load(publicPath))?.rawRepresentation == key.rawRepresentation else {
                throw KeyringError(.invalidKeyFile, "\(publicPath) does not match \(purpose.rawValue).key")
            }
            return
        }
        do {
            try SecureFiles.writeNew(publicPath, bytes: Array(PublicKeyFile.text(key).utf8), mode: 0o644)
        } catch where error.code == .alreadyExists {
            return
        } catch {
            throw KeyringError(error)
        }
    }

    private func path(_ name: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent(name).path
    }
}

extension KeyringError {
    init(_ error: SecureFileError) {
        switch error.code {
        case .notFound: self.init(.notFound, error.message)
        case .notRegular, .insecureMode: self.init(.insecureKeyFile, error.message)
        case .tooLarge: self.init(.invalidKeyFile, error.message)
        case .alreadyExists, .failure: self.init(.unavailable, error.message)
        }
    }
}
