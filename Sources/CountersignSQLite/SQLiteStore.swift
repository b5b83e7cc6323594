import CountersignStore
import CountersignCore
import Foundation
import GRDB
import SecureFiles

/// The gateway's store on one SQLite file in WAL mode: readers never wait for the writer, and
/// SQLite serialises writers, which is what keeps the audit chain from forking.
public final class SQLiteStore: GatewayStore {
    let database: any DatabaseWriter
    public let path: String
    /// Opened by `openReadOnly`: every write is refused before it reaches SQLite, and the
    /// connection itself is read-only besides.
    public let isReadOnly: Bool
    let auditTally = CommittedEventTally()

    /// How long a writer waits for another process holding the write lock (the CLI, a second
    /// gateway during a rolling restart) before giving up with `storage_busy`.
    static let busyTimeout: TimeInterval = 5

    private init(database: any DatabaseWriter, path: String, isReadOnly: Bool) {
        self.database = database
        self.path = path
        self.isReadOnly = isReadOnly
    }

    /// Opens the server's database at `path`, creating it (0600, in a 0700 directory if that is
    /// missing too) and migrating it to the current schema.
    public static func open(path: String, durability: SQLiteDurability = .full) throws(StoreError) -> SQLiteStore {
        try createDataFileIfMissing(path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.foreignKeysEnabled = true
        configuration.label = "countersign"
        do {
            // Looked at read-only first: opening a pool already switches the file to WAL, which
            // must not happen to some other program's database.
            try DatabaseQueue(path: path, configuration: readOnlyConfiguration).read { db in
                try checkIdentity(db, path: path, allowEmpty: true)
            }
            let pool = try DatabasePool(path: path, configuration: configuration)
            // Set after the pool is open: GRDB switches a new writer connection to WAL and, with
            // it, to synchronous NORMAL, which would silently undo a setting made any earlier.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = \(durability.pragmaValue)")
            }
            try StoreSchema.migrator.migrate(pool)
            return SQLiteStore(database: pool, path: path, isReadOnly: false)
        } catch {
            throw StoreError(translating: error)
        }
    }

    /// Opens an existing database for reading only, as the offline CLI does (`audit verify`,
    /// `audit export`): nothing is written, not even a migration, so evidence is never altered by
    /// looking at it. A file of another schema version is refused rather than misread.
    public static func openReadOnly(path: String) throws(StoreError) -> SQLiteStore {
        guard SecureFiles.exists(path) else {
            throw StoreError(.notFound, "no database at \(path)")
        }
        do {
            let queue = try DatabaseQueue(path: path, configuration: readOnlyConfiguration)
            try queue.read { db in
                try checkIdentity(db, path: path, allowEmpty: false)
                let migrator = StoreSchema.migrator
                guard try migrator.hasCompletedMigrations(db), try !migrator.hasBeenSuperseded(db) else {
                    let applied = try migrator.appliedIdentifiers(db).sorted().joined(separator: ", ")
                    throw StoreError(.schemaMismatch, "\(path) has schema [\(applied)]; this version reads \(StoreSchema.currentVersion)")
                }
            }
            return SQLiteStore(database: queue, path: path, isReadOnly: true)
        } catch {
            throw StoreError(translating: error)
        }
    }

    private static var readOnlyConfiguration: Configuration {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(busyTimeout)
        configuration.label = "countersign.readonly"
        return configuration
    }

    /// Refuses a file that is some other program's SQLite database, or one written by a newer
    /// Countersign, before anything is written to it.
    private static func checkIdentity(_ db: Database, path: String, allowEmpty: Bool) throws {
        let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        if applicationID == StoreSchema.applicationID {
            guard try !StoreSchema.migrator.hasBeenSuperseded(db) else {
                throw StoreError(.schemaMismatch, "\(path) was written by a newer version of Countersign")
            }
            return
        }
        let isEmpty = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_schema") == 0
        guard allowEmpty, applicationID == 0, isEmpty else {
            throw StoreError(.schemaMismatch, "\(path) is not a Countersign database")
        }
    }

    /// SQLite would create the file with the umask's mode (usually 0644); created here first, it
    /// is 0600 from birth, and SQLite gives its -wal and -shm files the same mode.
    private static func createDataFileIfMissing(_ path: String) throws(StoreError) {
        guard !SecureFiles.exists(path) else { return }
        do {
            try SecureFiles.createDirectory(URL(fileURLWithPath: path).deletingLastPathComponent().path, mode: 0o700)
            try SecureFiles.createEmpty(path, mode: 0o600)
        } catch where error.code == .alreadyExists {
            return
        } catch {
            throw StoreError(error)
        }
    }

    // MARK: Access

    /// One read, on a queue of the store's own with GRDB's blocking read: one hop there and one
    /// back, where GRDB's asynchronous read makes four (its pool's waiting queue, then the
    /// reader's), which was a seventh of a request read's time (`make bench`). A read is short and
    /// bounded, so it is not interrupted when its caller is cancelled.
    func read<Value: Sendable>(_ body: @escaping @Sendable (Database) throws -> Value) async throws -> Value {
        let database = database
        return try await withCheckedThrowingContinuation { continuation in
            Self.readQueue.async {
                do {
                    continuation.resume(returning: try database.read(body))
                } catch {
                    continuation.resume(throwing: StoreError.translatingKeepingDomain(error))
                }
            }
        }
    }

    private static let readQueue = DispatchQueue(label: "countersign.sqlite.reads", attributes: .concurrent)

    /// One write transaction. A thrown error rolls everything back, the audit rows included.
    func write<Value: Sendable>(_ body: @Sendable (Database) throws -> Value) async throws -> Value {
        guard !isReadOnly else {
            throw StoreError(.readOnly, "\(path) is open read-only")
        }
        do {
            return try await database.write(body)
        } catch {
            throw StoreError.translatingKeepingDomain(error)
        }
    }
}
