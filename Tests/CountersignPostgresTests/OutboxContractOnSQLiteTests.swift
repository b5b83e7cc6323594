import CountersignCore
import CountersignSQLite
import CountersignStore
import Foundation
import GRDB
import Testing

@Suite("The outbox contract on SQLite")
struct OutboxContractOnSQLiteTests {
    @Test("several attempts settle in one call, each on its own claim")
    func together() async throws { try await withSQLiteStore(OutboxStoreContract.attemptsSettleTogether) }

    @Test("a change's notifications commit with it")
    func unitOfWork() async throws { try await withSQLiteStore(OutboxStoreContract.aChangeCommitsItsNotifications) }

    @Test("a change that fails, at a notification or at its audit append, commits none of its notifications")
    func failingChange() async throws {
        try await withSQLiteStore { store, path in
            try await OutboxStoreContract.aFailingChangeCommitsNoneOfItsNotifications(
                store, breakAudit: { try SQLiteAuditOutage.breakAppends(at: path) }, repairAudit: { try SQLiteAuditOutage.repair(at: path) }
            )
        }
    }

    @Test("a resolve is not claimed while its trigger is pending on the same channel and dedup key")
    func resolveAfterTrigger() async throws { try await withSQLiteStore(OutboxStoreContract.aResolveWaitsForItsTrigger) }

    @Test("a claim takes due, pending, unheld messages, the longest due first, and hands none out again until its lease lapses")
    func claims() async throws { try await withSQLiteStore(OutboxStoreContract.claimsTakeDueMessagesLongestDueFirstUntilTheirLeaseLapses) }

    @Test("a settlement records delivered, retry or dead as the rules decided, the dead letter's event and its announcements")
    func settlements() async throws { try await withSQLiteStore(OutboxStoreContract.settlementsRecordWhatTheRulesDecided) }

    @Test("a dispatcher that overran its lease settles nothing; the one that took the message over does")
    func staleClaim() async throws { try await withSQLiteStore(OutboxStoreContract.aStaleClaimSettlesNothing) }

    @Test("the tally counts pending and dead messages per channel; listings are newest first, filtered and bounded")
    func tallyAndListing() async throws { try await withSQLiteStore(OutboxStoreContract.tallyAndListingCountAndOrderMessages) }

    @Test("dispatchers on two connections to one file claiming in a loop hand each message out once and deliver it once")
    func concurrentClaims() async throws {
        try await withSQLiteStore { store, path in
            try await OutboxStoreContract.concurrentClaimsHandEachMessageOutOnce([store, try SQLiteStore.open(path: path)])
        }
    }

    @Test("raw SQL cannot delete a message, move one back, rewrite what it says or lose an attempt")
    func forwardOnly() async throws {
        try await withSQLiteStore { store, path in
            try await OutboxStoreContract.rawEditsCannotMoveAMessageBackOrLoseIt(store) { try execute($0, at: path) }
        }
    }

    @Test("a damaged row reads as a corrupt_row naming it", arguments: OutboxStoreContract.damages)
    func damagedRow(_ damage: OutboxStoreContract.Damage) async throws {
        try await withSQLiteStore { store, path in
            try await OutboxStoreContract.aDamagedRowReadsAsAStoreError(damage, store) { try execute($0, at: path) }
        }
    }

    /// SQL through a connection of its own, as an operator's sqlite3 shell.
    private func execute(_ sql: String, at path: String) throws {
        try DatabaseQueue(path: path).write { db in try db.execute(sql: sql) }
    }
}
