import CountersignCore
import CountersignStore
import Foundation
import Keyring
import Testing

/// What every backend's audit log must do, written against the protocol alone so that the SQLite
/// and PostgreSQL suites can share it: each function is one behaviour, given a fresh, empty store.
enum AuditLogContract {
    static func login(_ name: String, at time: Date, details: [String: String] = ["source_address": "127.0.0.1"]) -> AuditEvent {
        AuditEvent(time: time, actor: name, action: .loginSucceeded, subject: name, details: details)
    }

    static func appendedEventsChainAndReadBack(_ log: some AuditLog) async throws {
        let clock = ManualClock()
        let appended = try await log.appendAudit([login("alice", at: clock.now()), login("bob", at: clock.now())])
        #expect(appended.map(\.sequence) == [1, 2])
        #expect(appended[0].previousHash == AuditChain.genesisHash)
        #expect(appended[1].previousHash == appended[0].hash)
        #expect(try await log.auditRecords(after: 0, limit: 10) == appended)
        #expect(try await log.auditRecords(after: 1, limit: 10) == [appended[1]])
        #expect(try await log.auditHead() == appended[1])
        #expect(log.committedAuditEvents == 2)
        #expect(try await log.appendAudit([]) == [])
        #expect(try await log.verifyAudit(publicKey: EphemeralKeyring().signingKey(for: .auditCheckpoint).publicKey).isIntact)
    }

    /// Text goes into the log as it came (bounded by the core): quotes, escapes, control and
    /// format characters, any script. NUL is left out: SQLite reads text back cut at a NUL (a
    /// false tamper alarm) and PostgreSQL refuses it in TEXT; the core should keep it out of events.
    static func anyTextRoundTrips(_ log: some AuditLog) async throws {
        let awkward = "tab\tnewline\n\u{1}\u{1F}\"quote\"\\back/slash é 🔑 \u{202E}\u{200B}"
        let appended = try await log.appendAudit([
            login(awkward, at: Date(millisecondsSinceEpoch: 1_700_000_000_123), details: [awkward: awkward, "": ""]),
        ])
        #expect(try await log.auditRecords(after: 0, limit: 1) == appended)
        #expect(try await log.verifyAudit(publicKey: EphemeralKeyring().signingKey(for: .auditCheckpoint).publicKey).isIntact)
    }

    static func pagesAreBounded(_ log: some AuditLog) async throws {
        for limit in [0, -1, 1001, Int.max, Int.min] {
            let error = await #expect(throws: StoreError.self) { try await log.auditRecords(after: 0, limit: limit) }
            #expect(error?.code == .invalidQuery)
        }
        #expect(try await log.auditRecords(after: Int64.max, limit: 1000) == [])
        #expect(try await log.auditRecords(after: Int64.min, limit: 1) == [])
    }

    static func checkpointsSignTheHeadOnce(_ log: some AuditLog) async throws {
        let key = try EphemeralKeyring().signingKey(for: .auditCheckpoint)
        let clock = ManualClock()
        #expect(try await log.recordCheckpoint(signingKey: key, at: clock.now()) == nil, "nothing to sign in an empty log")
        _ = try await log.appendAudit([login("alice", at: clock.now())])
        let checkpoint = try #require(try await log.recordCheckpoint(signingKey: key, at: clock.now()))
        #expect(checkpoint.sequence == 1)
        #expect(checkpoint.verifySignature(publicKey: key.publicKey))
        #expect(try await log.auditHead()?.event.action == .auditCheckpoint)
        #expect(try await log.recordCheckpoint(signingKey: key, at: clock.now()) == nil, "only its own event since")
        _ = try await log.appendAudit([login("bob", at: clock.now())])
        let second = try #require(try await log.recordCheckpoint(signingKey: key, at: clock.now()))
        #expect(second.sequence == 3)
        #expect(try await log.checkpoints() == [checkpoint, second])
        let verification = try await log.verifyAudit(publicKey: key.publicKey)
        #expect(verification.isIntact)
        #expect(verification.checkpointCount == 2)
        #expect(verification.recordsVerified == 4)
        let stranger = try EphemeralKeyring().signingKey(for: .auditCheckpoint)
        #expect(try await log.verifyAudit(publicKey: stranger.publicKey).fault?.kind == .badCheckpointSignature)
    }

    /// Gateways sharing a log each sign on their own timer with a spacing: one checkpoint per
    /// period between them, judged by the database's last checkpoint, not a gateway's memory.
    static func checkpointsKeepTheirSpacing(_ logs: [any AuditLog]) async throws {
        let key = try EphemeralKeyring().signingKey(for: .auditCheckpoint)
        let clock = ManualClock()
        _ = try await logs[0].appendAudit([login("alice", at: clock.now())])
        #expect(try await logs[0].recordCheckpoint(signingKey: key, at: clock.now(), spacing: 270) != nil)
        for (index, log) in logs.enumerated() {
            _ = try await log.appendAudit([login("user\(index)", at: clock.now())])
            clock.advance(by: 60)
            #expect(try await log.recordCheckpoint(signingKey: key, at: clock.now(), spacing: 270) == nil, "signed \(60 * (index + 1)) s after the last")
        }
        clock.advance(by: 270)
        #expect(try await logs[logs.count - 1].recordCheckpoint(signingKey: key, at: clock.now(), spacing: 270) != nil)
        // At shutdown a gateway signs what is unsigned whatever the spacing.
        _ = try await logs[0].appendAudit([login("zed", at: clock.now())])
        #expect(try await logs[0].recordCheckpoint(signingKey: key, at: clock.now()) != nil)
        #expect(try await logs[0].checkpoints().count == 3)
        #expect(try await logs[0].verifyAudit(publicKey: key.publicKey).isIntact)
    }
}
