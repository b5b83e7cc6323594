@testable import CountersignSQLite
import CountersignStore
import CountersignCore
import Crypto
import Foundation
import Keyring
import GRDB
import Testing

@Suite("Signed checkpoints of the audit log")
struct CheckpointTests {
    private let key = try! EphemeralKeyring().signingKey(for: .auditCheckpoint)

    private func appendLogins(_ scratch: Scratch, count: Int) async throws {
        for _ in 0..<count {
            _ = try await scratch.store.appendAudit([AuditEvent(time: scratch.clock.now(), actor: "alice", action: .loginSucceeded, subject: "alice")])
        }
    }

    @Test("an empty log gets no checkpoint")
    func emptyLog() async throws {
        try await withScratchStore { scratch async throws in
            #expect(try await scratch.store.recordCheckpoint(signingKey: key, at: scratch.clock.now()) == nil)
            #expect(try await scratch.auditCount() == 0)
        }
    }

    @Test("a checkpoint signs the head and is followed by an audit.checkpoint event describing it")
    func checkpointSignsHead() async throws {
        try await withScratchStore { scratch in
            try await appendLogins(scratch, count: 3)
            let head = try #require(try await scratch.store.auditHead())
            let checkpoint = try #require(try await scratch.store.recordCheckpoint(signingKey: key, at: scratch.clock.now()))
            #expect(checkpoint.sequence == head.sequence)
            #expect(checkpoint.headHash == head.hash)
            #expect(checkpoint.verifySignature(publicKey: key.publicKey))
            #expect(try await scratch.store.checkpoints() == [checkpoint])
            let event = try #require(try await scratch.store.auditHead()).event
            #expect(event.action == .auditCheckpoint)
            #expect(event.details == [
                "sequence": "3", "head_hash": checkpoint.headHash.hexString, "signature": checkpoint.signature.hexString,
            ])
        }
    }

    @Test("nothing new since the last checkpoint means no new checkpoint; new events mean one")
    func checkpointOnlyWhenSomethingHappened() async throws {
        try await withScratchStore { scratch in
            try await appendLogins(scratch, count: 2)
            #expect(try await scratch.store.recordCheckpoint(signingKey: key, at: scratch.clock.now()) != nil)
            #expect(try await scratch.store.recordCheckpoint(signingKey: key, at: scratch.clock.now()) == nil)
            try await appendLogins(scratch, count: 1)
            let second = try await scratch.store.recordCheckpoint(signingKey: key, at: scratch.clock.now())
            #expect(second?.sequence == 4)
            #expect(try await scratch.store.checkpoints().count == 2)
        }
    }

    @Test("a log with checkpoints verifies under the signing key")
    func checkpointedLogVerifies() async throws {
        try await withScratchStore { scratch in
            try await appendLogins(scratch, count: 3)
            _ = try await scratch.store.recordCheckpoint(signingKey: key, at: scratch.clock.now())
            try await appendLogins(scratch, count: 2)
            let verification = try await scratch.store.verifyAudit(publicKey: key.publicKey)
            #expect(verification == AuditVerification(recordsVerified: 6, checkpointCount: 1, fault: nil))
        }
    }

    @Test("deleting the tail after a checkpoint is caught by the checkpoint even though the rest still chains")
    func truncatedTail() async throws {
        try await withScratchStore { scratch in
            try await appendLogins(scratch, count: 5)
            _ = try await scratch.store.recordCheckpoint(signingKey: key, at: scratch.clock.now())
            try scratch.dropAppendOnlyTriggers()
            try await scratch.rawConnection().write { db in try db.execute(sql: "DELETE FROM audit_events WHERE sequence >= 4") }
            let verification = try await scratch.store.verifyAudit(publicKey: key.publicKey)
            #expect(verification.recordsVerified == 3)
            #expect(verification.fault?.kind == .checkpointMismatch)
        }
    }

    @Test("a checkpoint whose signature was forged is reported")
    func forgedSignature() async throws {
        try await withScratchStore { scratch in
            try await appendLogins(scratch, count: 3)
            _ = try await scratch.store.recordCheckpoint(signingKey: key, at: scratch.clock.now())
            try scratch.dropAppendOnlyTriggers()
            let forged = try AuditCheckpoint.sign(sequence: 3, headHash: AuditChain.genesisHash, at: scratch.clock.now(), with: try EphemeralKeyring().signingKey(for: .auditCheckpoint).signature(for:))
            try await scratch.rawConnection().write { db in
                try db.execute(sql: "UPDATE audit_checkpoints SET signature = ? WHERE sequence = 3", arguments: [Data(forged.signature)])
            }
            let fault = try #require(try await scratch.store.verifyAudit(publicKey: key.publicKey).fault)
            #expect(fault.kind == .badCheckpointSignature)
            #expect(fault.sequence == 3)
        }
    }

    @Test("checkpoints signed by another key do not verify")
    func wrongPublicKey() async throws {
        try await withScratchStore { scratch in
            try await appendLogins(scratch, count: 1)
            _ = try await scratch.store.recordCheckpoint(signingKey: key, at: scratch.clock.now())
            let verification = try await scratch.store.verifyAudit(publicKey: Curve25519.Signing.PrivateKey().publicKey)
            #expect(verification.fault?.kind == .badCheckpointSignature)
        }
    }
}
