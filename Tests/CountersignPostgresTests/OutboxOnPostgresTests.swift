@testable import CountersignPostgres
import CountersignCore
import CountersignStore
import Foundation
import Testing

@Suite("The outbox on PostgreSQL", .timeLimit(.minutes(3)))
struct OutboxOnPostgresTests {
    @Test("several attempts settle in one call, each on its own claim")
    func together() async throws { try await withPostgresStore { try await OutboxStoreContract.attemptsSettleTogether($0) } }

    @Test("a change's notifications commit with it")
    func unitOfWork() async throws { try await withPostgresStore { try await OutboxStoreContract.aChangeCommitsItsNotifications($0) } }

    @Test("a change that fails, at a notification or at its audit append, commits none of its notifications")
    func failingChange() async throws {
        try await withPostgresStore { store in
            try await OutboxStoreContract.aFailingChangeCommitsNoneOfItsNotifications(
                store, breakAudit: { try await store.breakAuditAppends() }, repairAudit: { try await store.repairAuditAppends() }
            )
        }
    }

    @Test("a resolve is not claimed while its trigger is pending on the same channel and dedup key")
    func resolveAfterTrigger() async throws { try await withPostgresStore { try await OutboxStoreContract.aResolveWaitsForItsTrigger($0) } }

    @Test("a claim takes due, pending, unheld messages, the longest due first, and hands none out again until its lease lapses")
    func claims() async throws { try await withPostgresStore { try await OutboxStoreContract.claimsTakeDueMessagesLongestDueFirstUntilTheirLeaseLapses($0) } }

    @Test("a settlement records delivered, retry or dead as the rules decided, the dead letter's event and its announcements")
    func settlements() async throws { try await withPostgresStore { try await OutboxStoreContract.settlementsRecordWhatTheRulesDecided($0) } }

    @Test("a dispatcher that overran its lease settles nothing; the one that took the message over does")
    func staleClaim() async throws { try await withPostgresStore { try await OutboxStoreContract.aStaleClaimSettlesNothing($0) } }

    @Test("the tally counts pending and dead messages per channel; listings are newest first, filtered and bounded")
    func tallyAndListing() async throws { try await withPostgresStore { try await OutboxStoreContract.tallyAndListingCountAndOrderMessages($0) } }

    @Test("dispatchers on two gateways claiming in a loop hand each message out once and deliver it once")
    func concurrentClaims() async throws {
        try await withTwoGateways { first, second in try await OutboxStoreContract.concurrentClaimsHandEachMessageOutOnce([first, second]) }
    }

    @Test("raw SQL cannot delete a message, move one back, rewrite what it says or lose an attempt")
    func forwardOnly() async throws {
        try await withPostgresStore { store in
            try await OutboxStoreContract.rawEditsCannotMoveAMessageBackOrLoseIt(store) { try await store.execute($0) }
        }
    }

    @Test("TRUNCATE, which fires no row trigger, cannot empty the outbox either")
    func truncate() async throws {
        try await withPostgresStore { store in
            let message = try OutboxStoreContract.message(at: ManualClock().now())
            try await store.enqueue([message])
            await #expect(throws: (any Error).self) { try await store.execute("TRUNCATE outbox_messages") }
            #expect(try await store.outboxMessage(message.id) == message)
        }
    }

    @Test("a damaged row reads as a corrupt_row naming it", arguments: OutboxStoreContract.damages)
    func damagedRow(_ damage: OutboxStoreContract.Damage) async throws {
        try await withPostgresStore { store in
            try await OutboxStoreContract.aDamagedRowReadsAsAStoreError(damage, store) { try await store.execute($0) }
        }
    }
}
