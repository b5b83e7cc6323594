@testable import CountersignStore
import CountersignCore
import Crypto
import Foundation
import Testing

@Suite("Online backups")
struct BackupTests {
    @Test("a backup taken while writes continue opens, verifies, and holds everything committed before it")
    func backupDuringWrites() async throws {
        try await withScratchStore { scratch in
            for _ in 0..<10 { _ = try await scratch.store.createRequest(try Fixtures.deploy(at: scratch.clock.now())) }
            let destination = scratch.directory + "/backup.sqlite"
            let now = scratch.clock.now()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for _ in 0..<30 { _ = try await scratch.store.createRequest(try Fixtures.deploy(at: now)) }
                }
                group.addTask { try await scratch.store.backup(to: destination) }
                try await group.waitForAll()
            }
            let copy = try SQLiteStore.openReadOnly(path: destination)
            let verification = try await copy.verifyAudit(publicKey: Curve25519.Signing.PrivateKey().publicKey)
            #expect(verification.isIntact)
            #expect(verification.recordsVerified >= 10)
            #expect(try await copy.requests(RequestQuery(limit: 500)).count == Int(verification.recordsVerified))
        }
    }

    @Test("the backup file is created with mode 0600 and leaves no temporary file behind")
    func backupMode() async throws {
        try await withScratchStore { scratch in
            _ = try await scratch.store.createRequest(try Fixtures.deploy(at: scratch.clock.now()))
            let destination = scratch.directory + "/backups/today.sqlite"
            try FileManager.default.createDirectory(atPath: scratch.directory + "/backups", withIntermediateDirectories: false)
            try await scratch.store.backup(to: destination)
            #expect(SecureFiles.permissions(of: destination) == 0o600)
            #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.directory + "/backups") == ["today.sqlite"])
        }
    }

    @Test("a backup never replaces an existing file")
    func refusesToOverwrite() async throws {
        try await withScratchStore { scratch in
            let destination = scratch.directory + "/precious.sqlite"
            let original = Data("someone else's file".utf8)
            #expect(FileManager.default.createFile(atPath: destination, contents: original))
            let code = await storeErrorCode { try await scratch.store.backup(to: destination) }
            #expect(code == .alreadyExists)
            #expect(FileManager.default.contents(atPath: destination) == original)
        }
    }
}
