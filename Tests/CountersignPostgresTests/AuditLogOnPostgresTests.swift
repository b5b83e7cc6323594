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
@Suite("The audit log on PostgreSQL")
struct AuditLogOnPostgresTests {
    static func login(_ name: String, at time: Date) -> AuditEvent {
        AuditEvent(time: time, actor: name, action: .loginSucceeded, subject: name, details: ["source_address": "127.0.0.1"])
    }

    @Test("appended events chain from the genesis hash and read back exactly")
    func appendAndRead() async throws {
        try await withPostgresStore { store in
            let clock = ManualClock()
            let appended = try await store.appendAudit([Self.login("alice", at: clock.now()), Self.login("bob", at: clock.now())])
            #expect(appended.map(\.sequence) == [1, 2])
            #expect(appended[0].previousHash == AuditChain.genesisHash)
            #expect(appended[1].previousHash == appended[0].hash)
            #expect(try await store.auditRecords(after: 0, limit: 10) == appended)
            #expect(try await store.auditHead() == appended[1])
            #expect(store.committedAuditEvents == 2)
            #expect(try await store.verifyAudit(publicKey: EphemeralKeyring().signingKey(for: .auditCheckpoint).publicKey).isIntact)
        }
    }

    @Test("three gateways appending at once on one database keep one linear chain")
    func concurrentGateways() async throws {
        try await withPostgresStore { first in
            // Two more gateways: their own pools on the same database.
            let database = try await first.currentDatabase()
            let others = try (0..<2).map { _ in PostgresStore(configuration: try PostgresServer.configuration(database: database), logger: Logger(label: "gateway")) }
            try await withThrowingTaskGroup(of: Void.self) { pools in
                for store in others { pools.addTask { await store.run() } }
                defer { pools.cancelAll() }
                let gateways = [first] + others
                try await withThrowingTaskGroup(of: Void.self) { writers in
                    for (index, gateway) in gateways.enumerated() {
                        for writer in 0..<4 {
                            writers.addTask {
                                for event in 0..<25 {
                                    _ = try await gateway.appendAudit([Self.login("g\(index)w\(writer)e\(event)", at: Date())])
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
    }

    @Test("a checkpoint signs the head once, and verification holds the log to it")
    func checkpoints() async throws {
        try await withPostgresStore { store in
            let key = try EphemeralKeyring().signingKey(for: .auditCheckpoint)
            let clock = ManualClock()
            #expect(try await store.recordCheckpoint(signingKey: key, at: clock.now()) == nil)
            _ = try await store.appendAudit([Self.login("alice", at: clock.now())])
            let checkpoint = try #require(try await store.recordCheckpoint(signingKey: key, at: clock.now()))
            #expect(checkpoint.sequence == 1)
            #expect(checkpoint.verifySignature(publicKey: key.publicKey))
            #expect(try await store.recordCheckpoint(signingKey: key, at: clock.now()) == nil, "only its own event since")
            #expect(try await store.checkpoints() == [checkpoint])
            let verification = try await store.verifyAudit(publicKey: key.publicKey)
            #expect(verification.isIntact)
            #expect(verification.checkpointCount == 1)
            let stranger = try EphemeralKeyring().signingKey(for: .auditCheckpoint)
            #expect(try await store.verifyAudit(publicKey: stranger.publicKey).fault?.kind == .badCheckpointSignature)
        }
    }

    @Test("history cannot be edited through the database, and an edit made anyway is found")
    func tamperEvidence() async throws {
        try await withPostgresStore { store in
            let clock = ManualClock()
            _ = try await store.appendAudit((0..<3).map { Self.login("user\($0)", at: clock.now()) })
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
            let error = await #expect(throws: StoreError.self) { try await store.appendAudit([Self.login("alice", at: Date())]) }
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
