import CountersignCore
import CountersignSQLite
import CountersignStore
import Foundation
import GRDB
import Testing

@Suite("The audit stream contract on SQLite")
struct AuditStreamContractOnSQLiteTests {
    @Test("a sink's first cursor is created once")
    func firstCursor() async throws { try await withSQLiteStore(AuditStreamStoreContract.aSinksFirstCursorIsCreatedOnce) }

    @Test("a lease is taken by one gateway and taken over only once it lapsed")
    func lease() async throws { try await withSQLiteStore(AuditStreamStoreContract.aLeaseIsTakenByOneGatewayAndTakenOverOnlyOnceItLapsed) }

    @Test("a cursor moves only forward, to a record of the log, for its own sink")
    func forward() async throws { try await withSQLiteStore(AuditStreamStoreContract.aCursorMovesOnlyForwardToARecordOfTheLog) }

    @Test("an outage's announcement and audit event commit with its cursor, or not at all")
    func announcement() async throws { try await withSQLiteStore(AuditStreamStoreContract.anAnnouncementCommitsWithItsCursorOrNotAtAll) }

    @Test("connections to one file taking a lease together get it once")
    func together() async throws {
        try await withSQLiteStore { store, path in
            try await AuditStreamStoreContract.gatewaysTakingALeaseTogetherGetItOnce([store, try SQLiteStore.open(path: path)])
        }
    }

    @Test("raw SQL cannot move a cursor back, past the log, to another sink, nor delete one")
    func rawEdits() async throws {
        try await withSQLiteStore { store, path in
            try await AuditStreamStoreContract.rawEditsCannotMoveACursorBackOrDeleteIt(store) { try execute($0, at: path) }
        }
    }

    @Test("a damaged row reads as a corrupt_row naming it", arguments: AuditStreamStoreContract.damages)
    func damaged(_ damage: AuditStreamStoreContract.Damage) async throws {
        try await withSQLiteStore { store, path in
            try await AuditStreamStoreContract.aDamagedRowReadsAsAStoreError(damage, store) { try execute($0, at: path) }
        }
    }

    @Test("a commit that appends events is told to whoever waits for them")
    func wakeUps() async throws { try await withSQLiteStore(AuditStreamStoreContract.aCommitThatAppendsEventsIsTold) }

    /// SQL through a connection of its own, as an operator's sqlite3 shell.
    private func execute(_ sql: String, at path: String) throws {
        try DatabaseQueue(path: path).write { db in try db.execute(sql: sql) }
    }
}
