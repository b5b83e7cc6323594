@testable import CountersignSQLite
import CountersignStore
import CountersignCore
import Foundation
import GRDB

/// A fresh directory for one test, removed when the test's body returns.
@discardableResult
func withTemporaryDirectory<Value>(_ body: (String) async throws -> Value) async throws -> Value {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("countersign-store-tests-\(UUID().uuidString.lowercased())").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// A store on a real SQLite file in a fresh directory, with a manual clock.
struct Scratch {
    let directory: String
    let store: SQLiteStore
    let clock: ManualClock

    var databasePath: String { directory + "/gateway.sqlite" }

    /// A second, raw connection to the same file: what someone with shell access could do.
    func rawConnection() throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        return try DatabaseQueue(path: databasePath, configuration: configuration)
    }

    /// Makes the audit table writable through the raw connection, as an attacker would first.
    func dropAppendOnlyTriggers() throws {
        try rawConnection().write { db in
            for table in ["audit_events", "audit_checkpoints"] {
                try db.execute(sql: "DROP TRIGGER \(table)_no_update; DROP TRIGGER \(table)_no_delete")
            }
        }
    }

    func auditCount() async throws -> Int {
        try await store.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_events") ?? 0 }
    }
}

@discardableResult
func withScratchStore<Value>(
    durability: SQLiteDurability = .full, _ body: (Scratch) async throws -> Value
) async throws -> Value {
    try await withTemporaryDirectory { directory in
        let store = try SQLiteStore.open(path: directory + "/gateway.sqlite", durability: durability)
        return try await body(Scratch(directory: directory, store: store, clock: ManualClock()))
    }
}

/// The code of the `StoreError` that `body` throws, or nil if it throws something else or nothing.
func storeErrorCode(_ body: () async throws -> Void) async -> StoreError.Code? {
    do {
        try await body()
        return nil
    } catch let error as StoreError {
        return error.code
    } catch {
        return nil
    }
}

/// Permission bits of the file at `path`, or nil if there is none.
func permissions(of path: String) -> Int? {
    (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? nil
}
