#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Foundation

/// The Ed25519 key that signs audit checkpoints, kept as files in the gateway's data directory:
/// `checkpoint-signing.key` (the raw 32-byte private key, 0600) and `checkpoint-signing.pub` (the
/// public key in base64, 0644) for auditors, who verify a copy of the log with it offline.
public enum CheckpointSigningKey {
    public static let privateKeyFileName = "checkpoint-signing.key"
    public static let publicKeyFileName = "checkpoint-signing.pub"

    /// The key in `directory`, created on first use. The directory is created 0700 if missing.
    public static func loadOrCreate(directory: String) throws(StoreError) -> Curve25519.Signing.PrivateKey {
        try SecureFiles.createDirectory(directory, mode: 0o700)
        let privatePath = path(directory, privateKeyFileName)
        let key: Curve25519.Signing.PrivateKey
        if SecureFiles.exists(privatePath) {
            key = try load(privatePath)
        } else {
            let created = Curve25519.Signing.PrivateKey()
            do {
                try SecureFiles.writeNew(privatePath, bytes: Array(created.rawRepresentation), mode: 0o600)
                key = created
            } catch where error.code == .alreadyExists {
                // Another process created it first: use theirs, so both sign with one key.
                key = try load(privatePath)
            }
        }
        try writePublicKeyIfMissing(key.publicKey, directory: directory)
        return key
    }

    /// The public key written beside a private key, for verifying checkpoints offline.
    public static func loadPublicKey(path: String) throws(StoreError) -> Curve25519.Signing.PublicKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StoreError(.notFound, "no public key file at \(path)")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = Data(base64Encoded: text), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
            throw StoreError(.invalidKeyFile, "\(path) does not hold a base64 Ed25519 public key")
        }
        return key
    }

    public static func publicKeyText(_ key: Curve25519.Signing.PublicKey) -> String {
        key.rawRepresentation.base64EncodedString() + "\n"
    }

    private static func load(_ path: String) throws(StoreError) -> Curve25519.Signing.PrivateKey {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw SecureFiles.failure("cannot open \(path)", errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw SecureFiles.failure("cannot inspect \(path)", errno) }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw StoreError(.invalidKeyFile, "\(path) is not a regular file")
        }
        // A key others could read may already be in other hands; signing with it would make
        // checkpoints worthless, so refuse rather than tighten the mode and carry on.
        guard status.st_mode & 0o077 == 0 else {
            throw StoreError(.insecureKeyFile, "\(path) is readable or writable by group or others (mode \(String(status.st_mode & 0o777, radix: 8))); it must be 0600")
        }
        var raw = [UInt8](repeating: 0, count: 32)
        let count = raw.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard status.st_size == 32, count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw StoreError(.invalidKeyFile, "\(path) does not hold a 32-byte Ed25519 private key")
        }
        return key
    }

    private static func writePublicKeyIfMissing(_ key: Curve25519.Signing.PublicKey, directory: String) throws(StoreError) {
        let publicPath = path(directory, publicKeyFileName)
        if SecureFiles.exists(publicPath) {
            // A stale public key would make every later verification fail for the wrong reason.
            guard (try? loadPublicKey(path: publicPath))?.rawRepresentation == key.rawRepresentation else {
                throw StoreError(.invalidKeyFile, "\(publicPath) does not match \(privateKeyFileName)")
            }
            return
        }
        do {
            try SecureFiles.writeNew(publicPath, bytes: Array(publicKeyText(key).utf8), mode: 0o644)
        } catch where error.code == .alreadyExists {
            return
        }
    }

    private static func path(_ directory: String, _ name: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent(name).path
    }
}
