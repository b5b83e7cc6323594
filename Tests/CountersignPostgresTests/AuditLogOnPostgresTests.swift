import CountersignCore
@testable import CountersignPostgres
import CountersignStore
import Foundation
import Keyring
import Logging
import PostgresNIO
import PostgresTesting
import Testing

/// The audit log's contract on a real PostgreSQL: the same chain, checkpoints and verification
/// as on SQLite, and one linear chain however many gateways append at once.
@Suite("The audit log on PostgreSQL", .timeLimit(.minutes(3)))
struct AuditLogOnPostgresTests {
    @Test("appended events chain from the genesis hash and read back exactly")
    func appendAndRead() async throws {
        try await withPostgresStore { store in try await AuditLogContract.appendedEventsChainAndReadBack(store) }
    }

    @Test("any text but NUL, control and format characters among it, is kept as it came")
    func anyText() async throws {
        try await withPostgresStore { store in try await AuditLogContract.anyTextRoundTrips(store) }
    }

    @Test("a page of records is bounded, and any start is answered")
    func pages() async throws {
        try await withPostgresStore { store in try await AuditLogContract.pagesAreBounded(store) }
    }

    @Test("a checkpoint signs the head once, and verification holds the log to it")
    func checkpoints() async throws {
        try await withPostgresStore { store in try await AuditLogContract.checkpointsSignTheHeadOnce(store) }
    }

    @Test("three gateways checkpointing on their own timers keep one checkpoint per period between them")
    func checkpointSpacing() async throws {
        try await withPostgresStore { first in
            let configuration = try await PostgresServer.configuration(database: try await first.currentDatabase())
            let others = (0..<2).map { _ in PostgresStore(configuration: configuration, logger: Logger(label: "gateway")) }
            let pools = others.map { store in Task { await store.run() } }
            defer { pools.forEach { $0.cancel() } }
            try await AuditLogContract.checkpointsKeepTheirSpacing([first] + others)
        }
    }

    @Test("three gateways appending at once on one database keep one linear chain")
    func concurrentGateways() async throws {
        try await withPostgresStore { first in
            // Two more gateways: their own pools on the same database.
            let configuration = try await PostgresServer.configuration(database: try await first.currentDatabase())
            let others = (0..<2).map { _ in PostgresStore(configuration: configuration, logger: Logger(label: "gateway")) }
            let pools = others.map { store in Task { await store.run() } }
            defer { pools.forEach { $0.cancel() } }
            let gateways = [first] + others
            try await withThrowingTaskGroup(of: Void.self) { writers in
                for (index, gateway) in gateways.enumerated() {
                    for writer in 0..<4 {
                        writers.addTask {
                            for event in 0..<25 {
                                _ = try await gateway.appendAudit([AuditLogContract.login("g\(index)w\(writer)e\(event)", at: Date())])
                            }
                        }
                    }
                }
                try await writers.waitForAll()
            }
            let verification = try await first.verifyAudit(publicKey: EphemeralKeyring().signingKey(for: .auditCheckpoint).publicKey)
            #expect(verification.isIntact)
            #expect(verification.recordsVerified == 300)
            #expect(gateways.map(\.committedAuditEvents).reduce(0, +) == 300)
        }
    }

    @Test("history cannot be edited through the database, and an edit made anyway is found")
    func tamperEvidence() async throws {
        try await withPostgresStore { store in
            let clock = ManualClock()
            _ = try await store.appendAudit((0..<3).map { AuditLogContract.login("user\($0)", at: clock.now()) })
            await #expect(throws: (any Error).self) { try await store.execute("UPDATE audit_events SET actor = 'mallory' WHERE sequence = 2") }
            try await store.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
            try await store.execute("UPDATE audit_events SET actor = 'mallory' WHERE sequence = 2")
            let fault = try await store.verifyAudit(publicKey: EphemeralKeyring().signingKey(for: .auditCheckpoint).publicKey).fault
            #expect(fault?.sequence == 2)
        }
    }

    @Test("an append the database refuses fails the whole append and counts nothing (fail closed)")
    func failClosed() async throws {
        try await withPostgresStore { store in
            try await store.execute("""
                CREATE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$
                """)
            try await store.execute("CREATE TRIGGER no_more BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_insert()")
            let error = await #expect(throws: StoreError.self) { try await store.appendAudit([AuditLogContract.login("alice", at: Date())]) }
            #expect(error?.code == .storageFailure)
            #expect(store.committedAuditEvents == 0)
            #expect(try await store.auditHead() == nil)
        }
    }

    @Test("migrating twice changes nothing, and a database of a newer version is refused")
    func migrations() async throws {
        try await withPostgresStore { store in
            try await store.migrate()
            try await store.execute("INSERT INTO schema_migrations (id) VALUES ('v99-from-the-future')")
            let error = await #expect(throws: StoreError.self) { try await store.migrate() }
            #expect(error?.code == .schemaMismatch)
        }
    }
}

@Suite("Sessions on PostgreSQL", .timeLimit(.minutes(3)))
struct SessionsOnPostgresTests {
    @Test("a session is found by its token hash until it expires")
    func lifetime() async throws {
        try await withPostgresStore { store in try await SessionStoreContract.aSessionLivesUntilItExpires(store) }
    }

    @Test("a token hash already taken is refused, with nothing audited and no token in the message")
    func taken() async throws {
        try await withPostgresStore { store in try await SessionStoreContract.aTokenIsTakenOnce(store) }
    }

    @Test("a logout ends the session once, audited once")
    func logout() async throws {
        try await withPostgresStore { store in try await SessionStoreContract.logoutEndsTheSessionOnce(store) }
    }

    @Test("expired sessions are forgotten, live ones kept")
    func expiry() async throws {
        try await withPostgresStore { store in try await SessionStoreContract.expiredSessionsAreForgotten(store) }
    }

    @Test("a session row damaged behind the store's back reads as corrupt_row, naming no token")
    func damagedRow() async throws {
        try await withPostgresStore { store in
            let clock = ManualClock()
            let alice = try SessionStoreContract.session("token-a", for: "alice", at: clock)
            try await store.createSession(alice, event: SessionStoreContract.loginEvent("alice", at: clock))
            try await store.execute("UPDATE sessions SET username = 'not a user name!'")
            let error = await #expect(throws: StoreError.self) { try await store.session(tokenHash: alice.tokenHash, at: clock.now()) }
            #expect(error?.code == .corruptRow)
            #expect(error.map { !$0.message.contains(alice.tokenHash.hexString) } == true)
        }
    }
}
