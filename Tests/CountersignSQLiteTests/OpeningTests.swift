@testable import CountersignSQLite
import CountersignStore
import CountersignCore
import Foundation
import GRDB
import Testing

@Suite("Opening the server's database")
struct OpeningTests {
    @Test("a new database file is 0600, in a directory created 0700, and its WAL files share the mode")
    func fileModes() async throws {
        try await withTemporaryDirectory { root in
            let directory = root + "/data"
            let path = directory + "/gateway.sqlite"
            let store = try SQLiteStore.open(path: path)
            _ = try await store.appendAudit([AuditEvent(time: Date(), actor: "system", action: .policyLoaded, subject: "policies")])
            #expect(permissions(of: directory) == 0o700)
            #expect(permissions(of: path) == 0o600)
            #expect(permissions(of: path + "-wal") == 0o600)
        }
    }

    @Test("durability sets synchronous on the writing connection", arguments: [(SQLiteDurability.full, 2), (.normal, 1)])
    func durability(durability: SQLiteDurability, expected: Int) async throws {
        try await withScratchStore(durability: durability) { scratch in
            let synchronous = try await scratch.store.database.writeWithoutTransaction { db in
                try Int.fetchOne(db, sql: "PRAGMA synchronous")
            }
            #expect(synchronous == expected)
        }
    }

    @Test("the database is in WAL mode with foreign keys enforced")
    func connectionSettings() async throws {
        try await withScratchStore { scratch in
            let (journal, foreignKeys) = try await scratch.store.database.writeWithoutTransaction { db in
                (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Bool.fetchOne(db, sql: "PRAGMA foreign_keys"))
            }
            #expect(journal == "wal")
            #expect(foreignKeys == true)
        }
    }

    @Test("reopening keeps everything and does not migrate twice")
    func reopen() async throws {
        try await withScratchStore { scratch in
            let request = try await scratch.store.createRequest(try Fixtures.deploy(at: scratch.clock.now()))
            let reopened = try SQLiteStore.open(path: scratch.databasePath)
            #expect(try await reopened.request(request.id) == request)
        }
    }

    @Test("another application's SQLite file is refused and left untouched")
    func refusesOtherDatabase() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/notes.sqlite"
            try DatabaseQueue(path: path).write { db in try db.execute(sql: "CREATE TABLE notes (body TEXT)") }
            let before = FileManager.default.contents(atPath: path)
            let error = #expect(throws: StoreError.self) { try SQLiteStore.open(path: path) }
            #expect(error?.code == .schemaMismatch)
            #expect(FileManager.default.contents(atPath: path) == before)
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        }
    }

    @Test("a database written by a newer Countersign is refused, not migrated or crashed on")
    func refusesNewerSchema() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/gateway.sqlite"
            _ = try SQLiteStore.open(path: path)
            try await DatabaseQueue(path: path).write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v2-from-the-future')")
            }
            let error = #expect(throws: StoreError.self) { try SQLiteStore.open(path: path) }
            #expect(error?.code == .schemaMismatch)
        }
    }

    @Test("a readiness check writes and succeeds on a healthy store")
    func checkWritable() async throws {
        try await withScratchStore { scratch in
            try await scratch.store.checkWritable()
            try await scratch.store.checkWritable()
            let beats = try await scratch.store.database.read { db in try Int.fetchOne(db, sql: "SELECT beats FROM store_heartbeat") }
            #expect(beats == 2)
        }
    }
}
