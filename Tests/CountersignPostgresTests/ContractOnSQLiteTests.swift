import CountersignSQLite
import Foundation
import Testing

/// The same contract functions on the embedded backend: what PostgreSQL is held to is what
/// SQLite already does.
@Suite("The audit and session contract on SQLite")
struct ContractOnSQLiteTests {
    func withSQLiteStore(_ body: (SQLiteStore) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-contract-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await body(try SQLiteStore.open(path: directory + "/gateway.sqlite"))
    }

    @Test("appended events chain from the genesis hash and read back exactly")
    func appendAndRead() async throws { try await withSQLiteStore(AuditLogContract.appendedEventsChainAndReadBack) }

    @Test("any text but NUL, control and format characters among it, is kept as it came")
    func anyText() async throws { try await withSQLiteStore(AuditLogContract.anyTextRoundTrips) }

    @Test("a page of records is bounded, and any start is answered")
    func pages() async throws { try await withSQLiteStore(AuditLogContract.pagesAreBounded) }

    @Test("a checkpoint signs the head once, and verification holds the log to it")
    func checkpoints() async throws { try await withSQLiteStore(AuditLogContract.checkpointsSignTheHeadOnce) }

    @Test("sessions: lifetime, a taken token, logout, expiry")
    func sessions() async throws {
        try await withSQLiteStore(SessionStoreContract.aSessionLivesUntilItExpires)
        try await withSQLiteStore(SessionStoreContract.aTokenIsTakenOnce)
        try await withSQLiteStore(SessionStoreContract.logoutEndsTheSessionOnce)
        try await withSQLiteStore(SessionStoreContract.expiredSessionsAreForgotten)
    }
}
