import CountersignStore
import Foundation
import GRDB
import Testing

@Suite("The machine-token contract on SQLite")
struct MachineTokenContractOnSQLiteTests {
    /// SQL through a second connection, as an operator with the sqlite3 shell would run it.
    private func execute(_ sql: String, at path: String) throws {
        try DatabaseQueue(path: path).write { db in try db.execute(sql: sql) }
    }

    @Test("created tokens read back, and are found by their secret's hash")
    func create() async throws { try await withSQLiteStore(MachineTokenStoreContract.createdTokensReadBackAndAreFoundByTheirHash) }

    @Test("a name is taken once, even after its token is revoked")
    func names() async throws { try await withSQLiteStore(MachineTokenStoreContract.aNameIsTakenOnceEvenAfterRevocation) }

    @Test("a revocation is recorded once")
    func revocation() async throws { try await withSQLiteStore(MachineTokenStoreContract.aRevocationIsRecordedOnce) }

    @Test("a refused revocation writes nothing")
    func refusals() async throws { try await withSQLiteStore(MachineTokenStoreContract.refusedRevocationsWriteNothing) }

    @Test("an expired token is still found, and the rule refuses it")
    func expiry() async throws { try await withSQLiteStore(MachineTokenStoreContract.anExpiredTokenIsStillFoundAndThenRefused) }

    @Test("making and revoking tokens fail closed when the audit append fails")
    func failClosed() async throws {
        try await withSQLiteStore { store, path in
            try await MachineTokenStoreContract.tokensFailClosedWithTheAuditLog(
                store,
                breakAudit: { try SQLiteAuditOutage.breakAppends(at: path) }, repairAudit: { try SQLiteAuditOutage.repair(at: path) }
            )
        }
    }

    @Test("tokens cannot be deleted, edited or un-revoked")
    func appendOnly() async throws {
        try await withSQLiteStore { store, path in
            try await MachineTokenStoreContract.tokensCannotBeDeletedOrEdited(store) { try execute($0, at: path) }
        }
    }

    @Test("makings and revocations at once: one token, one revocation")
    func concurrency() async throws { try await withSQLiteStore { try await MachineTokenStoreContract.concurrentCreationsAndRevocationsHappenOnce([$0]) } }
}
