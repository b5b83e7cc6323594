@testable import CountersignSQLite
import CountersignStore
import CountersignCore
import Crypto
import Foundation
import Keyring
import GRDB
import Testing

@Suite("The offline read-only opener")
struct ReadOnlyStoreTests {
    private func fileDigest(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { Array(SHA256.hash(data: $0)) }
    }

    @Test("it reads and verifies what the server wrote")
    func readsServerData() async throws {
        try await withScratchStore { scratch in
            let request = try await scratch.store.createRequest(try Fixtures.deploy(at: scratch.clock.now()))
            let offline = try SQLiteStore.openReadOnly(path: scratch.databasePath)
            #expect(offline.isReadOnly)
            #expect(try await offline.request(request.id) == request)
            #expect(try await offline.verifyAudit(publicKey: Curve25519.Signing.PrivateKey().publicKey).recordsVerified == 1)
        }
    }

    @Test("every write is refused with read_only and the file is left byte for byte as it was")
    func refusesWrites() async throws {
        try await withScratchStore { scratch in
            _ = try await scratch.store.createRequest(try Fixtures.deploy(at: scratch.clock.now()))
            // Fold the WAL into the main file so the file alone is the whole database.
            _ = try await scratch.store.database.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
            let before = fileDigest(scratch.databasePath)
            let offline = try SQLiteStore.openReadOnly(path: scratch.databasePath)
            let now = scratch.clock.now()
            let writes: [@Sendable () async throws -> Void] = [
                { _ = try await offline.createRequest(try Fixtures.deploy(at: now)) },
                { _ = try await offline.appendAudit([AuditEvent(time: now, actor: "mallory", action: .logout, subject: "x")]) },
                { try await offline.checkWritable() },
                { _ = try await offline.deleteExpiredSessions(at: now) },
                { _ = try await offline.recordCheckpoint(signingKey: try EphemeralKeyring().signingKey(for: .auditCheckpoint), at: now) },
            ]
            for write in writes {
                #expect(await storeErrorCode(write) == .readOnly)
            }
            #expect(fileDigest(scratch.databasePath) == before)
        }
    }

    @Test("its connection is read-only even below the store's own guard")
    func connectionIsReadOnly() async throws {
        try await withScratchStore { scratch in
            let offline = try SQLiteStore.openReadOnly(path: scratch.databasePath)
            await #expect(throws: DatabaseError.self) {
                try await offline.database.writeWithoutTransaction { db in try db.execute(sql: "DELETE FROM sessions") }
            }
        }
    }

    /// Files that are not a current Countersign database, each made at `path`.
    enum Impostor: String, CaseIterable, CustomTestStringConvertible {
        case textFile, otherApplicationsDatabase, emptyDatabase, newerCountersign

        var testDescription: String { rawValue }

        /// What the refusal says, so an operator knows which of the two problems they have.
        var explanation: String {
            switch self {
            case .textFile, .otherApplicationsDatabase, .emptyDatabase: "not a Countersign database"
            case .newerCountersign: "newer version of Countersign"
            }
        }

        func make(at path: String) throws {
            switch self {
            case .textFile:
                _ = FileManager.default.createFile(atPath: path, contents: Data(String(repeating: "not a database\n", count: 100).utf8))
            case .otherApplicationsDatabase:
                try DatabaseQueue(path: path).write { db in try db.execute(sql: "CREATE TABLE notes (body TEXT)") }
            case .emptyDatabase:
                try DatabaseQueue(path: path).write { db in try db.execute(sql: "PRAGMA user_version = 0") }
            case .newerCountersign:
                _ = try SQLiteStore.open(path: path)
                try DatabaseQueue(path: path).write { db in
                    try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')")
                }
            }
        }
    }

    @Test("a file that is not a current Countersign database is refused with schema_mismatch", arguments: Impostor.allCases)
    func refusesImpostors(impostor: Impostor) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/suspect.sqlite"
            try impostor.make(at: path)
            let before = fileDigest(path)
            let error = #expect(throws: StoreError.self) { try SQLiteStore.openReadOnly(path: path) }
            #expect(error?.code == .schemaMismatch)
            #expect(error?.message.contains(impostor.explanation) == true)
            #expect(fileDigest(path) == before)
        }
    }

    @Test("a missing file is not_found, and is not created")
    func missingFile() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/absent.sqlite"
            let error = #expect(throws: StoreError.self) { try SQLiteStore.openReadOnly(path: path) }
            #expect(error?.code == .notFound)
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }
}
