import CountersignStore
import Dispatch
import Foundation
import GRDB
import SecureFiles

extension SQLiteStore {
    /// Copies the database with SQLite's online backup API from one read snapshot, so the copy is
    /// consistent and the gateway keeps writing meanwhile. The copy is built in a 0600 temporary
    /// file beside `destination` and takes its name only once complete: a crash mid-way never
    /// leaves a half backup that looks whole.
    public func backup(to destination: String) async throws {
        guard !SecureFiles.exists(destination) else {
            throw StoreError(.alreadyExists, "\(destination) already exists; a backup never replaces a file")
        }
        let temporary = SecureFiles.temporaryPath(beside: destination)
        do {
            try SecureFiles.createEmpty(temporary, mode: 0o600)
        } catch {
            throw StoreError(error)
        }
        defer {
            for suffix in ["", "-journal", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: temporary + suffix) }
        }
        let source = database
        do {
            try await Self.runBlocking {
                let copy = try DatabaseQueue(path: temporary)
                try source.backup(to: copy)
                // The pages arrive marked for WAL; a self-contained single file is what a backup
                // should be, with no -wal beside it to lose when it is moved.
                try copy.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
                try copy.close()
            }
        } catch {
            throw StoreError(translating: error)
        }
        do {
            try SecureFiles.publish(temporary, as: destination)
        } catch {
            throw StoreError(error)
        }
    }

    /// A real write, flushed like any other: taking the lock alone would not notice a full disk or
    /// a file system remounted read-only.
    public func checkWritable() async throws {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO store_heartbeat (id, beats) VALUES (1, 1)
                ON CONFLICT (id) DO UPDATE SET beats = beats + 1
                """)
        }
    }

    /// A backup copies the whole file; it runs on a dispatch thread rather than hold one of the
    /// few threads Swift concurrency has.
    private static func runBlocking(_ work: @escaping @Sendable () throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(with: Result { try work() })
            }
        }
    }
}
