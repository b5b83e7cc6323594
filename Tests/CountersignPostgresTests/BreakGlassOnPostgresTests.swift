@testable import CountersignPostgres
import CountersignCore
import CountersignStore
import Foundation
import Logging
import PostgresTesting
import Testing

@Suite("Break-glass grants on PostgreSQL", .timeLimit(.minutes(3)))
struct BreakGlassOnPostgresTests {
    @Test("a grant is stored as granted, approved or pending, with its terms and pages; a kind without its terms is refused")
    func grants() async throws { try await withPostgresStore { try await BreakGlassStoreContract.aGrantIsStoredAsGrantedWithItsTermsAndPages($0) } }

    @Test("the grants' listings select and order as their selection says")
    func listings() async throws { try await withPostgresStore { try await BreakGlassStoreContract.listingsSelectGrantsInTheirOrder($0) } }

    @Test("a review is recorded once: the rule refuses a second, the store any rewrite")
    func reviewOnce() async throws { try await withPostgresStore { try await BreakGlassStoreContract.aReviewIsRecordedOnce($0) } }

    @Test("an escalation is made once, and a later review keeps it")
    func escalationOnce() async throws { try await withPostgresStore { try await BreakGlassStoreContract.anEscalationIsMadeOnce($0) } }

    @Test("an expiry commits what its caller announces, and one that cannot be announced is passed over")
    func expiry() async throws {
        try await withPostgresStore { try await BreakGlassStoreContract.expiryCommitsWhatItAnnouncesAndPassesOverWhatItCannot($0) }
    }

    @Test("enqueued messages commit with their events, all or none")
    func enqueue() async throws { try await withPostgresStore { try await BreakGlassStoreContract.enqueuedMessagesCommitWithTheirEvents($0) } }

    @Test("statement challenges, an ask's and a review's, read back as issued")
    func statements() async throws {
        try await withPostgresStore { store in
            try await BreakGlassStoreContract.statementChallengesReadBackAsIssued(store) { id in
                try await store.read { connection in try await KeyRows.lockChallenge(id, on: connection, logger: store.logger) }
            }
        }
    }

    @Test("a grant's reviewers see it, and every audience sees what the core's rule lets it")
    func visibility() async throws { try await withPostgresStore { try await BreakGlassStoreContract.aGrantsReviewersSeeIt($0) } }

    @Test("raw SQL cannot alter a grant's terms, its review or escalation, nor delete it")
    func guarded() async throws {
        try await withPostgresStore { store in
            try await BreakGlassStoreContract.rawEditsCannotRewriteAGrant(store) { try await store.execute($0) }
        }
    }

    @Test("TRUNCATE, which fires no row trigger, cannot forget the grants either")
    func truncate() async throws {
        try await withPostgresStore { store in
            let granted = try await store.createRequest(try BreakGlassStoreContract.grant(at: ManualClock().now()))
            await #expect(throws: (any Error).self) { try await store.execute("TRUNCATE break_glass_grants") }
            #expect(try await store.request(granted.id) == granted)
        }
    }

    @Test("a damaged grant reads as a corrupt_row naming it", arguments: BreakGlassStoreContract.damages)
    func damaged(_ damage: BreakGlassStoreContract.Damage) async throws {
        try await withPostgresStore { store in
            try await BreakGlassStoreContract.aDamagedGrantReadsAsCorrupt(
                damage, store, unguard: "ALTER TABLE break_glass_grants DISABLE TRIGGER break_glass_grants_once"
            ) { try await store.execute($0) }
        }
    }

    @Test("a v13 database keeps its requests and challenges when grants and statement challenges arrive (v14)")
    func migration() async throws {
        let database = try await PostgresServer.createDatabase()
        let store = PostgresStore(configuration: try await PostgresServer.configuration(database: database), logger: Logger(label: "countersign-postgres-test"))
        let pool = Task { await store.run() }
        defer { pool.cancel() }
        try await PostgresSchema.migrate(store.client, upTo: "v13-outbox", logger: store.logger)
        let now = ManualClock().now()
        let deploy = try await store.file(try ContractFixtures.deploy(at: now))
        let bob = try ContractFixtures.user("bob")
        var generator = SystemRandomNumberGenerator()
        let challenges = [
            CeremonyChallenge(id: String(repeating: "r", count: 32), user: bob, purpose: .registration(challenge: [UInt8](repeating: 1, count: 32)), issuedAt: now),
            CeremonyChallenge(
                id: String(repeating: "k", count: 32), user: bob, purpose: .keyRemoval(challenge: [UInt8](repeating: 2, count: 32), credentialID: [9, 9]),
                issuedAt: now
            ),
            CeremonyChallenge(
                id: String(repeating: "a", count: 32), user: bob,
                purpose: .approval(ApprovalChallenge.issue(for: deploy, approver: bob, at: now, using: &generator)), issuedAt: now
            ),
        ]
        for challenge in challenges { try await store.openChallenge(challenge, at: now) }

        try await store.migrate()
        @Sendable func read(_ id: String) async throws -> CeremonyChallenge? {
            try await store.read { connection in try await KeyRows.lockChallenge(id, on: connection, logger: store.logger) }
        }
        #expect(try await store.request(deploy.id) == deploy)
        for challenge in challenges {
            #expect(try await read(challenge.id) == challenge)
        }
        let grant = try await store.createRequest(try BreakGlassStoreContract.grant(at: now))
        #expect(try await store.request(grant.id) == grant)
        let statement = try StatementChallenge.issue(.breakGlass, by: bob, about: nil, digest: [UInt8](repeating: 5, count: 32), at: now, using: &generator)
        let asking = CeremonyChallenge(id: String(repeating: "s", count: 32), user: bob, purpose: .statement(statement), issuedAt: now)
        try await store.openChallenge(asking, at: now)
        #expect(try await read(asking.id) == asking)
        // The replaced CHECKs still refuse the shapes no purpose has.
        for sql in [
            "INSERT INTO ceremony_challenges (id, purpose, username, challenge, issued_at) VALUES ('\(String(repeating: "x", count: 32))', 'break_glass', 'bob', '\\x\(String(repeating: "00", count: 32))', 1)",
            "INSERT INTO ceremony_challenges (id, purpose, username, issued_at) VALUES ('\(String(repeating: "y", count: 32))', 'registration', 'bob', 1)",
            "INSERT INTO ceremony_challenges (id, purpose, username, challenge, issued_at) VALUES ('\(String(repeating: "z", count: 32))', 'unknown', 'bob', '\\x\(String(repeating: "00", count: 32))', 1)",
        ] {
            await #expect(throws: (any Error).self, "\(sql)") { try await store.execute(sql) }
        }
    }
}
