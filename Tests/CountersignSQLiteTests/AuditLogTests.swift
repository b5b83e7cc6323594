@testable import CountersignSQLite
import CountersignStore
import CountersignCore
import Crypto
import Foundation
import Keyring
import GRDB
import Testing

@Suite("The audit log")
struct AuditLogTests {
    private let key = try! EphemeralKeyring().signingKey(for: .auditCheckpoint)

    /// Six events from system actors, committed one transaction at a time.
    private func fill(_ scratch: Scratch, count: Int = 6) async throws {
        for index in 0..<count {
            _ = try await scratch.store.appendAudit([AuditEvent(
                time: scratch.clock.now().addingTimeInterval(TimeInterval(index)), actor: "alice", action: .loginSucceeded,
                subject: "alice", details: ["remote": "127.0.0.\(index)", "agent": "curl/8"]
            )])
        }
    }

    @Test("appended events read back with sequence numbers, linked hashes and equal content")
    func appendAndRead() async throws {
        try await withScratchStore { scratch in
            let event = AuditEvent(time: scratch.clock.now(), actor: "system", action: .policyLoaded, subject: "/etc/countersign/policies", details: ["rules": "4", "digest": "ab/cd"])
            let appended = try await scratch.store.appendAudit([event, event])
            let read = try await scratch.store.auditRecords(after: 0, limit: 10)
            #expect(read == appended)
            #expect(read.map(\.sequence) == [1, 2])
            #expect(read[0].previousHash == AuditChain.genesisHash)
            #expect(read[1].previousHash == read[0].hash)
            #expect(read[1].event == event)
            #expect(try await scratch.store.auditHead() == read[1])
        }
    }

    @Test("records are paged by sequence")
    func paging() async throws {
        try await withScratchStore { scratch in
            try await fill(scratch)
            #expect(try await scratch.store.auditRecords(after: 2, limit: 3).map(\.sequence) == [3, 4, 5])
            #expect(try await scratch.store.auditRecords(after: 6, limit: 3).isEmpty)
        }
    }

    @Test("details are stored as JSON with sorted keys")
    func detailsAreSortedJSON() async throws {
        try await withScratchStore { scratch in
            try await fill(scratch, count: 1)
            let details = try await scratch.store.database.read { db in try String.fetchOne(db, sql: "SELECT details FROM audit_events") }
            #expect(details == #"{"agent":"curl/8","remote":"127.0.0.0"}"#)
        }
    }

    @Test(
        "details with quotes, backslashes, control characters and non-ASCII text read back exactly and verify",
        arguments: ["say \"no\"", #"C:\path\"#, "line\nbreak\ttab\r\u{0}\u{1f}", "naïve ☃ 🔑 \u{2028}", ""]
    )
    func awkwardDetailsRoundTrip(_ value: String) async throws {
        try await withScratchStore { scratch in
            let event = AuditEvent(time: scratch.clock.now(), actor: "alice", action: .requestDenied, subject: "r", details: [value: value, "plain": "x"])
            _ = try await scratch.store.appendAudit([event])
            #expect(try await scratch.store.auditRecords(after: 0, limit: 1).first?.event == event)
            let valid = try await scratch.store.database.read { db in try Bool.fetchOne(db, sql: "SELECT json_valid(details) FROM audit_events") }
            #expect(valid == true)
            #expect(try await scratch.store.verifyAudit(publicKey: key.publicKey).isIntact)
        }
    }

    @Test("an untouched log verifies")
    func intactLogVerifies() async throws {
        try await withScratchStore { scratch in
            try await fill(scratch)
            let verification = try await scratch.store.verifyAudit(publicKey: key.publicKey)
            #expect(verification == AuditVerification(recordsVerified: 6, checkpointCount: 0, fault: nil))
        }
    }

    @Test(
        "the application's own connection cannot update or delete audit rows",
        arguments: ["UPDATE audit_events SET actor = 'mallory' WHERE sequence = 1", "DELETE FROM audit_events WHERE sequence = 1",
                    "UPDATE audit_checkpoints SET signed_at = 0", "DELETE FROM audit_checkpoints"]
    )
    func appendOnly(statement: String) async throws {
        try await withScratchStore { scratch in
            try await fill(scratch, count: 2)
            _ = try await scratch.store.recordCheckpoint(signingKey: key, at: scratch.clock.now())
            await #expect(throws: DatabaseError.self) {
                try await scratch.store.database.write { db in try db.execute(sql: statement) }
            }
            #expect(try await scratch.store.verifyAudit(publicKey: key.publicKey).isIntact)
        }
    }

    @Test("an edited row is reported as a content mismatch at its sequence")
    func editedRow() async throws {
        try await withScratchStore { scratch in
            try await fill(scratch)
            try scratch.dropAppendOnlyTriggers()
            try await scratch.rawConnection().write { db in
                try db.execute(sql: #"UPDATE audit_events SET details = '{"agent":"curl/8","remote":"10.0.0.1"}' WHERE sequence = 4"#)
            }
            let verification = try await scratch.store.verifyAudit(publicKey: key.publicKey)
            #expect(verification.fault?.kind == .contentMismatch)
            #expect(verification.fault?.sequence == 4)
            #expect(verification.recordsVerified == 3)
        }
    }

    @Test("a deleted middle row is reported as a gap naming the missing sequence")
    func deletedMiddleRow() async throws {
        try await withScratchStore { scratch in
            try await fill(scratch)
            try scratch.dropAppendOnlyTriggers()
            try await scratch.rawConnection().write { db in try db.execute(sql: "DELETE FROM audit_events WHERE sequence = 3") }
            let fault = try #require(try await scratch.store.verifyAudit(publicKey: key.publicKey).fault)
            #expect(fault.kind == .sequenceGap)
            #expect(fault.sequence == 3)
        }
    }

    @Test("a row that no longer decodes is reported as a fault, not thrown")
    func undecodableRow() async throws {
        try await withScratchStore { scratch in
            try await fill(scratch)
            try scratch.dropAppendOnlyTriggers()
            try await scratch.rawConnection().write { db in
                try db.execute(sql: "PRAGMA ignore_check_constraints = ON; UPDATE audit_events SET hash = x'00' WHERE sequence = 5")
            }
            let fault = try #require(try await scratch.store.verifyAudit(publicKey: key.publicKey).fault)
            #expect(fault.kind == .contentMismatch)
            #expect(fault.sequence == 5)
        }
    }
}
