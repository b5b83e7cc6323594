@testable import CountersignStore
import Crypto
import Foundation
import Testing

@Suite("The checkpoint signing key file")
struct CheckpointSigningKeyTests {
    @Test("the key is created 0600 and its public half 0644, in a 0700 directory")
    func createdModes() async throws {
        try await withTemporaryDirectory { root in
            let directory = root + "/keys"
            _ = try CheckpointSigningKey.loadOrCreate(directory: directory)
            #expect(permissions(of: directory) == 0o700)
            #expect(permissions(of: directory + "/checkpoint-signing.key") == 0o600)
            #expect(permissions(of: directory + "/checkpoint-signing.pub") == 0o644)
        }
    }

    @Test("loading again gives the same key, and the public key file matches it")
    func reload() async throws {
        try await withTemporaryDirectory { directory in
            let created = try CheckpointSigningKey.loadOrCreate(directory: directory)
            let loaded = try CheckpointSigningKey.loadOrCreate(directory: directory)
            #expect(loaded.rawRepresentation == created.rawRepresentation)
            let published = try CheckpointSigningKey.loadPublicKey(path: directory + "/checkpoint-signing.pub")
            #expect(published.rawRepresentation == created.publicKey.rawRepresentation)
        }
    }

    @Test("a key file readable by others is refused", arguments: [0o644, 0o640, 0o604, 0o660])
    func insecureModeRefused(mode: Int) async throws {
        try await withTemporaryDirectory { directory in
            _ = try CheckpointSigningKey.loadOrCreate(directory: directory)
            let path = directory + "/checkpoint-signing.key"
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            let error = #expect(throws: StoreError.self) { try CheckpointSigningKey.loadOrCreate(directory: directory) }
            #expect(error?.code == .insecureKeyFile)
        }
    }

    @Test("a key file of the wrong length is refused rather than replaced")
    func truncatedKeyRefused() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/checkpoint-signing.key"
            #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: 7, count: 31), attributes: [.posixPermissions: 0o600]))
            #expect(throws: StoreError(.invalidKeyFile, "\(path) does not hold a 32-byte Ed25519 private key")) {
                try CheckpointSigningKey.loadOrCreate(directory: directory)
            }
            #expect(FileManager.default.contents(atPath: path)?.count == 31)
        }
    }

    @Test("a public key file that belongs to another key is refused rather than left to fail every verification")
    func mismatchedPublicKey() async throws {
        try await withTemporaryDirectory { directory in
            _ = try CheckpointSigningKey.loadOrCreate(directory: directory)
            let publicPath = directory + "/checkpoint-signing.pub"
            try FileManager.default.removeItem(atPath: publicPath)
            let stranger = CheckpointSigningKey.publicKeyText(Curve25519.Signing.PrivateKey().publicKey)
            #expect(FileManager.default.createFile(atPath: publicPath, contents: Data(stranger.utf8)))
            let error = #expect(throws: StoreError.self) { try CheckpointSigningKey.loadOrCreate(directory: directory) }
            #expect(error?.code == .invalidKeyFile)
        }
    }

    @Test("a public key file that is not base64 Ed25519 is refused")
    func badPublicKey() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/other.pub"
            #expect(FileManager.default.createFile(atPath: path, contents: Data("ssh-ed25519 AAAA".utf8)))
            #expect(throws: StoreError.self) { try CheckpointSigningKey.loadPublicKey(path: path) }
        }
    }

    @Test("a missing public key file is not_found")
    func missingPublicKey() async throws {
        try await withTemporaryDirectory { directory in
            #expect(throws: StoreError(.notFound, "no public key file at \(directory)/none.pub")) {
                try CheckpointSigningKey.loadPublicKey(path: directory + "/none.pub")
            }
        }
    }
}
