@testable import CountersignPostgres
import CountersignCore
import CountersignStore
import Foundation
import Testing

@Suite("The audit stream on PostgreSQL", .timeLimit(.minutes(3)))
struct AuditStreamOnPostgresTests {
    @Test("a sink's first cursor is created once")
    func firstCursor() async throws { try await withPostgresStore { try await AuditStreamStoreContract.aSinksFirstCursorIsCreatedOnce($0) } }

    @Test("a lease is taken by one gateway and taken over only once it lapsed")
    func lease() async throws { try await withPostgresStore { try await AuditStreamStoreContract.aLeaseIsTakenByOneGatewayAndTakenOverOnlyOnceItLapsed($0) } }

    @Test("a cursor moves only forward, to a record of the log, for its own sink")
    func forward() async throws { try await withPostgresStore { try await AuditStreamStoreContract.aCursorMovesOnlyForwardToARecordOfTheLog($0) } }

    @Test("an outage's announcement and audit event commit with its cursor, or not at all")
    func announcement() async throws { try await withPostgresStore { try await AuditStreamStoreContract.anAnnouncementCommitsWithItsCursorOrNotAtAll($0) } }

    @Test("two gateways taking a lease together get it once")
    func together() async throws {
        try await withTwoGateways { first, second in try await AuditStreamStoreContract.gatewaysTakingALeaseTogetherGetItOnce([first, second]) }
    }

    @Test("raw SQL cannot move a cursor back, past the log, to another sink, nor delete one")
    func rawEdits() async throws {
        try await withPostgresStore { store in
            try await AuditStreamStoreContract.rawEditsCannotMoveACursorBackOrDeleteIt(store) { try await store.execute($0) }
        }
    }

    @Test("TRUNCATE, which fires no row trigger, cannot drop the cursors either")
    func truncate() async throws {
        try await withPostgresStore { store in
            let created = try await store.replaceAuditStreamCursor(
                nil, with: AuditStreamRules.start(AuditStreamStoreContract.sink, at: ManualClock().now()), events: [], notifications: []
            )
            #expect(created)
            await #expect(throws: (any Error).self) { try await store.execute("TRUNCATE audit_stream_cursors") }
            let cursors = try await store.auditStreamCursors()
            #expect(cursors.count == 1)
        }
    }

    @Test("a damaged row reads as a corrupt_row naming it", arguments: AuditStreamStoreContract.damages)
    func damaged(_ damage: AuditStreamStoreContract.Damage) async throws {
        try await withPostgresStore { store in
            try await AuditStreamStoreContract.aDamagedRowReadsAsAStoreError(damage, store) { try await store.execute($0) }
        }
    }

    @Test("a commit that appends events is told to whoever waits for them")
    func wakeUps() async throws { try await withPostgresStore { try await AuditStreamStoreContract.aCommitThatAppendsEventsIsTold($0) } }
}
