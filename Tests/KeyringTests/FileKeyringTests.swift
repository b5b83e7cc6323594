import Crypto
import Foundation
import Keyring
import Testing

/// A fresh directory for one test, removed when the test's body returns.
func withTemporaryDirectory<Value>(_ body: (String) throws -> Value) throws -> Value {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-keyring-\(UUID().uuidString.lowercased())").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

func permissions(of path: String) -> Int? {
    (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? nil
}

@Suite("Signing keys kept as files")
struct FileKeyringTests {
    @Test("the key is created 0600 and its public half 0644, in a 0700 directory")
    func createdModes() throws {
        try withTemporaryDirectory { root in
            let directory = root + "/keys"
            _ = try FileKeyring(directory: directory).signingKey(for: .auditCheckpoint)
            #expect(permissions(of: directory) == 0o700)
            #expect(permissions(of: directory + "/checkpoint-signing.key") == 0o600)
            #expect(permissions(of: directory + "/checkpoint-signing.pub") == 0o644)
        }
    }

    @Test("loading again gives the same key, and the public key file matches it")
    func reload() throws {
        try withTemporaryDirectory { directory in
            let created = try FileKeyring(directory: directory).signingKey(for: .auditCheckpoint)
            let loaded = try FileKeyring(directory: directory).signingKey(for: .auditCheckpoint)
            #expect(loaded.publicKey.rawRepresentation == created.publicKey.rawRepresentation)
            let message: [UInt8] = Array("checkpoint".utf8)
            #expect(created.publicKey.isValidSignature(try loaded.signature(for: message), for: message))
            let published = try PublicKeyFile.load(directory + "/checkpoint-signing.pub")
            #expect(published.rawRepresentation == created.publicKey.rawRepresentation)
        }
    }

    @Test("a key file readable by others is refused", arguments: [0o644, 0o640, 0o604, 0o660])
    func insecureModeRefused(mode: Int) throws {
        try withTemporaryDirectory { directory in
            _ = try FileKeyring(directory: directory).signingKey(for: .auditCheckpoint)
            let path = directory + "/checkpoint-signing.key"
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            let error = #expect(throws: KeyringError.self) { try FileKeyring(directory: directory).signingKey(for: .auditCheckpoint) }
            #expect(error?.code == .insecureKeyFile)
        }
    }

    @Test("a key file of the wrong length is refused rather than replaced")
    func truncatedKeyRefused() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/checkpoint-signing.key"
            #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: 7, count: 31), attributes: [.posixPermissions: 0o600]))
            #expect(throws: KeyringError(.invalidKeyFile, "\(path) does not hold a 32-byte Ed25519 private key")) {
                try FileKeyring(directory: directory).signingKey(for: .auditCheckpoint)
            }
            #expect(FileManager.default.contents(atPath: path)?.count == 31)
        }
    }

    @Test("a public key file that belongs to another key is refused rather than left to fail every verification")
    func mismatchedPublicKey() throws {
        try withTemporaryDirectory { directory in
            _ = try FileKeyring(directory: directory).signingKey(for: .auditCheckpoint)
            let publicPath = directory + "/checkpoint-signing.pub"
            try FileManager.default.removeItem(atPath: publicPath)
            let stranger = PublicKeyFile.text(Curve25519.Signing.PrivateKey().publicKey)
            #expect(FileManager.default.createFile(atPath: publicPath, contents: Data(stranger.utf8)))
            let error = #expect(throws: KeyringError.self) { try FileKeyring(directory: directory).signingKey(for: .auditCheckpoint) }
            #expect(error?.code == .invalidKeyFile)
        }
    }

    @Test("a public key file that is not base64 Ed25519 is refused")
    func badPublicKey() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/other.pub"
            #expect(FileManager.default.createFile(atPath: path, contents: Data("ssh-ed25519 AAAA".utf8)))
            #expect(throws: KeyringError.self) { try PublicKeyFile.load(path) }
        }
    }

    @Test("a missing public key file is not_found")
    func missingPublicKey() throws {
        try withTemporaryDirectory { directory in
            #expect(throws: KeyringError(.notFound, "no public key file at \(directory)/none.pub")) {
                try PublicKeyFile.load(directory + "/none.pub")
            }
        }
    }

    @Test("a key file that is a symbolic link is refused, even to a 0600 file")
    func symlinkRefused() throws {
        try withTemporaryDirectory { directory in
            let elsewhere = directory + "/elsewhere.key"
            #expect(FileManager.default.createFile(atPath: elsewhere, contents: Data(repeating: 7, count: 32), attributes: [.posixPermissions: 0o600]))
            try FileManager.default.createSymbolicLink(atPath: directory + "/checkpoint-signing.key", withDestinationPath: elsewhere)
            let error = #expect(throws: KeyringError.self) { try FileKeyring(directory: directory).signingKey(for: .auditCheckpoint) }
            #expect(error?.code == .insecureKeyFile)
        }
    }

    @Test("each purpose has its own key")
    func purposesAreSeparate() throws {
        try withTemporaryDirectory { directory in
            let keyring = FileKeyring(directory: directory)
            let other = KeyPurpose(rawValue: "other-signing")
            let first = try keyring.signingKey(for: .auditCheckpoint)
            let second = try keyring.signingKey(for: other)
            #expect(first.publicKey.rawRepresentation != second.publicKey.rawRepresentation)
            #expect(permissions(of: keyring.privateKeyPath(for: other)) == 0o600)
        }
    }

    @Test("an in-memory keyring signs for real and keeps one key per purpose")
    func ephemeral() throws {
        let keyring = EphemeralKeyring()
        let key = try keyring.signingKey(for: .auditCheckpoint)
        let message: [UInt8] = [1, 2, 3]
        #expect(key.publicKey.isValidSignature(try key.signature(for: message), for: message))
        #expect(try keyring.signingKey(for: .auditCheckpoint).publicKey.rawRepresentation == key.publicKey.rawRepresentation)
    }
}
