import Crypto
import Foundation
import SecureFiles
import Synchronization

/// Signing keys as files in one directory (0700): `<purpose>.key` holds the raw 32-byte Ed25519
/// private key (0600 from birth, refused if anyone else may read it) and `<purpose>.pub` the
/// public key in base64 (0644), for whoever verifies offline. A rotated purpose has
/// `<purpose>.<N>.key` and `.pub` for each later generation and `<purpose>.schedule`
/// (`KeySchedule.text`), which every gateway sharing the directory re-reads when it changes.
public final class FileKeyring: Keyring {
    public let directory: String
    private let loaded = Mutex<[KeyPurpose: HeldSigningKey]>([:])
    private let keySets = Mutex<[KeyPurpose: (stamp: FileStamp?, keys: KeySet)]>([:])

    public init(directory: String) {
        self.directory = directory
    }

    public func signingKey(for purpose: KeyPurpose) throws(KeyringError) -> any SigningKey {
        if let key = loaded.withLock({ $0[purpose] }) { return key }
        let key = try loadOrCreate(purpose)
        loaded.withLock { $0[purpose] = key }
        return key
    }

    public func keySet(for purpose: KeyPurpose) throws(KeyringError) -> KeySet {
        let stamp = FileStamp(of: schedulePath(for: purpose))
        if let cached = keySets.withLock({ $0[purpose] }), cached.stamp == stamp { return cached.keys }
        let schedule = try stamp == nil ? .initial : loadSchedule(purpose)
        let keys = try keySet(purpose, schedule)
        keySets.withLock { $0[purpose] = (stamp, keys) }
        return keys
    }

    public func prepareRotation(of purpose: KeyPurpose, switchAt: Date, overlap: TimeInterval, at now: Date) throws(KeyringError) -> KeySet {
        let schedule = try keySet(for: purpose).schedule.rotating(switchAt: switchAt, overlap: overlap, at: now)
        return try keySet(purpose, schedule)
    }

    public func prepareDistrust(of purpose: KeyPurpose, at now: Date) throws(KeyringError) -> KeySet {
        try keySet(purpose, try keySet(for: purpose).schedule.distrustingSigner(at: now))
    }

    public func publish(_ rotation: KeySet) throws(KeyringError) {
        do throws(SecureFileError) {
            try SecureFiles.replace(schedulePath(for: rotation.purpose), bytes: Array(rotation.schedule.text.utf8), mode: 0o644)
        } catch {
            throw KeyringError(error)
        }
        keySets.withLock { $0[rotation.purpose] = nil }
    }

    public func privateKeyPath(for purpose: KeyPurpose, generation: Int = 1) -> String {
        path(generation == 1 ? "\(purpose.rawValue).key" : "\(purpose.rawValue).\(generation).key")
    }

    public func publicKeyPath(for purpose: KeyPurpose, generation: Int = 1) -> String {
        path(generation == 1 ? "\(purpose.rawValue).pub" : "\(purpose.rawValue).\(generation).pub")
    }

    public func schedulePath(for purpose: KeyPurpose) -> String { path("\(purpose.rawValue).schedule") }

    /// The keys of every generation in `schedule`, the first (and a next one just prepared)
    /// created if missing.
    private func keySet(_ purpose: KeyPurpose, _ schedule: KeySchedule) throws(KeyringError) -> KeySet {
        var keys: [Int: any SigningKey] = [:]
        for generation in schedule.generations {
            keys[generation.number] = generation.number == 1
                ? try signingKey(for: purpose)
                : try loadOrCreate(purpose, generation: generation.number)
        }
        return KeySet(purpose: purpose, schedule: schedule, keys: keys)
    }

    private func loadSchedule(_ purpose: KeyPurpose) throws(KeyringError) -> KeySchedule {
        let path = schedulePath(for: purpose)
        guard let handle = FileHandle(forReadingAtPath: path) else { throw KeyringError(.unavailable, "cannot read \(path)") }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: KeySchedule.maximumTextSize + 1)) ?? Data()
        do throws(KeyringError) {
            return try KeySchedule(text: String(decoding: data, as: UTF8.self))
        } catch {
            throw KeyringError(error.code, "\(path): \(error.message)")
        }
    }

    private func loadOrCreate(_ purpose: KeyPurpose, generation: Int = 1) throws(KeyringError) -> HeldSigningKey {
        let privatePath = privateKeyPath(for: purpose, generation: generation)
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
        try writePublicKeyIfMissing(key.publicKey, at: publicKeyPath(for: purpose, generation: generation), beside: privatePath)
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

    private func writePublicKeyIfMissing(_ key: Curve25519.Signing.PublicKey, at publicPath: String, beside privatePath: String) throws(KeyringError) {
        if SecureFiles.exists(publicPath) {
            // A stale public key would make every later verification fail for the wrong reason.
            guard (try? PublicKeyFile.load(publicPath))?.rawRepresentation == key.rawRepresentation else {
                throw KeyringError(.invalidKeyFile, "\(publicPath) does not match \(URL(fileURLWithPath: privatePath).lastPathComponent)")
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

/// What tells a changed file from the one read before: written by another gateway, it has another
/// inode (rename), modification time or size.
struct FileStamp: Equatable {
    let inode: UInt64
    let modifiedSeconds: Int
    let modifiedNanoseconds: Int
    let size: Int64

    init?(of path: String) {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        inode = UInt64(status.st_ino)
        modifiedSeconds = Int(status.st_mtim.tv_sec)
        modifiedNanoseconds = Int(status.st_mtim.tv_nsec)
        size = Int64(status.st_size)
    }
}
