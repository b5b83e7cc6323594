import CountersignCore
@testable import CountersignSQLite
import CountersignStore
import Foundation
import GRDB
import Testing

@Suite("The break-glass contract on SQLite")
struct BreakGlassContractOnSQLiteTests {
    @Test("a grant is stored as granted, approved or pending, with its terms and pages; a kind without its terms is refused")
    func grants() async throws { try await withSQLiteStore(BreakGlassStoreContract.aGrantIsStoredAsGrantedWithItsTermsAndPages) }

    @Test("the grants' listings select and order as their selection says")
    func listings() async throws { try await withSQLiteStore(BreakGlassStoreContract.listingsSelectGrantsInTheirOrder) }

    @Test("a review is recorded once: the rule refuses a second, the store any rewrite")
    func reviewOnce() async throws { try await withSQLiteStore(BreakGlassStoreContract.aReviewIsRecordedOnce) }

    @Test("an escalation is made once, and a later review keeps it")
    func escalationOnce() async throws { try await withSQLiteStore(BreakGlassStoreContract.anEscalationIsMadeOnce) }

    @Test("an expiry commits what its caller announces, and one that cannot be announced is passed over")
    func expiry() async throws { try await withSQLiteStore(BreakGlassStoreContract.expiryCommitsWhatItAnnouncesAndPassesOverWhatItCannot) }

    @Test("enqueued messages commit with their events, all or none")
    func enqueue() async throws { try await withSQLiteStore(BreakGlassStoreContract.enqueuedMessagesCommitWithTheirEvents) }

    @Test("statement challenges, an ask's and a review's, read back as issued")
    func statements() async throws {
        try await withSQLiteStore { store in
            try await BreakGlassStoreContract.statementChallengesReadBackAsIssued(store) { id in
                try await store.database.read { db in try KeyRows.challenge(id, in: db) }
            }
        }
    }

    @Test("a grant's reviewers see it, and every audience sees what the core's rule lets it")
    func visibility() async throws { try await withSQLiteStore(BreakGlassStoreContract.aGrantsReviewersSeeIt) }

    @Test("raw SQL cannot alter a grant's terms, its review or escalation, nor delete it")
    func guarded() async throws {
        try await withSQLiteStore { store, path in
            try await BreakGlassStoreContract.rawEditsCannotRewriteAGrant(store) { try execute($0, at: path) }
        }
    }

    @Test("a damaged grant reads as a corrupt_row naming it", arguments: BreakGlassStoreContract.damages)
    func damaged(_ damage: BreakGlassStoreContract.Damage) async throws {
        try await withSQLiteStore { store, path in
            try await BreakGlassStoreContract.aDamagedGrantReadsAsCorrupt(
                damage, store, unguard: "DROP TRIGGER break_glass_grants_once; DROP TRIGGER break_glass_grants_no_delete"
            ) { try execute($0, at: path) }
        }
    }

    /// SQL through a connection of its own, as an operator's sqlite3 shell.
    private func execute(_ sql: String, at path: String) throws {
        try DatabaseQueue(path: path).write { db in try db.execute(sql: sql) }
    }
}
