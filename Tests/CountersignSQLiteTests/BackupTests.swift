@testable import CountersignSQLite
import CountersignStore
import CountersignCore
import Crypto
import Foundation
import GRDB
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
            #expect(permissions(of: destination) == 0o600)
            #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.directory + "/backups") == ["today.sqlite"])
            let journal = try await DatabaseQueue(path: destination).read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
            #expect(journal == "delete", "a backup is one self-contained file, with no WAL to lose beside it")
        }
    }

    @Test("a store opened read-only, as the CLI opens it, can take a backup")
    func backupFromReadOnlyStore() async throws {
        try await withScratchStore { scratch in
            let request = try await scratch.store.createRequest(try Fixtures.deploy(at: scratch.clock.now()))
            let destination = scratch.directory + "/offline-copy.sqlite"
            try await SQLiteStore.openReadOnly(path: scratch.databasePath).backup(to: destination)
            #expect(try await SQLiteStore.openReadOnly(path: destination).request(request.id) == request)
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
