import Crypto
import Foundation
import Testing
@testable import CountersignCore

/// A short log as the store would write it: five events at fixed times, chained from genesis.
enum SampleLog {
    static let start = Date(millisecondsSinceEpoch: 1_800_000_000_000)

    static let events: [AuditEvent] = [
        AuditEvent(time: start, actor: "alice", action: .loginSucceeded, subject: "alice"),
        AuditEvent(time: start.addingTimeInterval(1), actor: "alice", action: .requestCreated, subject: "0123456789abcdefghjk",
                   details: ["kind": "deploy", "service": "payments-api"]),
        AuditEvent(time: start.addingTimeInterval(2), actor: "bob", action: .approvalRecorded, subject: "0123456789abcdefghjk",
                   details: ["progress": "sre: 1 of 1 ✓", "method": "session"]),
        AuditEvent(time: start.addingTimeInterval(3), actor: "bob", action: .requestApproved, subject: "0123456789abcdefghjk",
                   details: ["approvers": "bob"]),
        AuditEvent(time: start.addingTimeInterval(4), actor: AuditEvent.systemActor, action: .requestExpired,
                   subject: "0123456789abcdefghjk", details: ["was": "approved"]),
    ]

    static func chain(_ events: [AuditEvent]) -> [AuditRecord] {
        var records: [AuditRecord] = []
        for event in events {
            records.append(AuditChain.record(after: records.last, event: event))
        }
        return records
    }

    static let records = chain(events)

    /// A fixed key so failures reproduce; the gateway's real key is generated at setup.
    static let key = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](1...32))
    static let otherKey = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](33...64))

    static func checkpoint(at sequence: Int64, of records: [AuditRecord] = records, key: Curve25519.Signing.PrivateKey = key) -> AuditCheckpoint {
        let head = records.first { $0.sequence == sequence }?.hash ?? [UInt8](repeating: 0xee, count: 32)
        return try! AuditCheckpoint.sign(sequence: sequence, headHash: head, at: start.addingTimeInterval(60)) { Array(try key.signature(for: $0)) }
    }

    /// Verifies records in order, then the checkpoints, as an auditor's tool would.
    static func verify(_ records: [AuditRecord], checkpoints: [AuditCheckpoint] = []) -> AuditFault? {
        var verifier = AuditChainVerifier(checkpointSequences: Set(checkpoints.map(\.sequence)))
        for record in records {
            if let fault = verifier.check(record) { return fault }
        }
        return verifier.check(checkpoints, publicKey: key.publicKey)
    }
}

/// One field of a stored record changed in place, hash left as it was.
enum RecordEdit: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case time, actor, action, subject, detailValue, detailAdded, detailRemoved, detailRenamed

    var testDescription: String { "an edited \(rawValue)" }

    func apply(to event: AuditEvent) -> AuditEvent {
        var details = event.details
        switch self {
        case .time:
            return AuditEvent(time: event.time.addingTimeInterval(0.001), actor: event.actor, action: event.action, subject: event.subject, details: details)
        case .actor:
            return AuditEvent(time: event.time, actor: "carol", action: event.action, subject: event.subject, details: details)
        case .action:
            return AuditEvent(time: event.time, actor: event.actor, action: .requestDenied, subject: event.subject, details: details)
        case .subject:
            return AuditEvent(time: event.time, actor: event.actor, action: event.action, subject: "zyxwvtsrqpnmkjhgfedc", details: details)
        case .detailValue:
            details["method"] = "hardware_key"
        case .detailAdded:
            details["note"] = ""
        case .detailRemoved:
            details["progress"] = nil
        case .detailRenamed:
            details["Method"] = details.removeValue(forKey: "method")
        }
        return AuditEvent(time: event.time, actor: event.actor, action: event.action, subject: event.subject, details: details)
    }
}

@Suite("Audit hash chain")
struct AuditChainTests {
    @Test("a chain built record by record verifies")
    func intactChain() {
        let records = SampleLog.records
        #expect(records.map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(records[0].previousHash == AuditChain.genesisHash)
        #expect(AuditChain.genesisHash == [UInt8](repeating: 0, count: 32))
        for (previous, record) in zip(records, records.dropFirst()) {
            #expect(record.previousHash == previous.hash)
        }
        var verifier = AuditChainVerifier()
        for record in records {
            #expect(verifier.check(record) == nil)
        }
        #expect(verifier.lastSequence == 5)
        #expect(verifier.lastHash == records[4].hash)
    }

    @Test("an empty log verifies")
    func emptyLog() {
        #expect(SampleLog.verify([]) == nil)
    }

    @Test("an edited record is a content mismatch at its sequence", arguments: RecordEdit.allCases)
    func editedRecord(_ edit: RecordEdit) {
        var records = SampleLog.records
        let original = records[2]
        let edited = edit.apply(to: original.event)
        #expect(edited != original.event)
        records[2] = AuditRecord(sequence: original.sequence, event: edited, previousHash: original.previousHash, hash: original.hash)
        let fault = SampleLog.verify(records)
        #expect(fault?.kind == .contentMismatch)
        #expect(fault?.sequence == 3)
    }

    @Test("an edited record whose hash was recomputed breaks the link of the next one")
    func editedAndRehashed() {
        var records = SampleLog.records
        records[2] = AuditChain.record(after: records[1], event: RecordEdit.actor.apply(to: records[2].event))
        let fault = SampleLog.verify(records)
        #expect(fault?.kind == .brokenLink)
        #expect(fault?.sequence == 4)
    }

    @Test("a first record that does not start from the genesis hash is a broken link")
    func wrongGenesis() {
        var records = SampleLog.records
        let first = records[0]
        let previous = [UInt8](repeating: 1, count: 32)
        records[0] = AuditRecord(
            sequence: 1, event: first.event, previousHash: previous,
            hash: AuditChain.hash(sequence: 1, event: first.event, previousHash: previous)
        )
        #expect(SampleLog.verify(records)?.kind == .brokenLink)
        #expect(SampleLog.verify(records)?.sequence == 1)
    }

    struct TamperCase: Sendable, CustomTestStringConvertible {
        let name: String
        let records: [AuditRecord]
        let kind: AuditFault.Kind
        let sequence: Int64
        var message: String?
        var testDescription: String { name }
    }

    static let tampering: [TamperCase] = {
        let r = SampleLog.records
        let inserted = AuditChain.record(after: r[1], event: AuditEvent(time: SampleLog.start, actor: "mallory", action: .logout, subject: "mallory"))
        let renumbered = AuditRecord(sequence: 4, event: r[2].event, previousHash: r[2].previousHash, hash: r[2].hash)
        return [
            TamperCase(name: "a removed record is a gap naming the missing sequence", records: [r[0], r[1], r[3], r[4]],
                       kind: .sequenceGap, sequence: 3, message: "expected sequence 3, found 4"),
            TamperCase(name: "a removed first record is a gap at 1", records: Array(r.dropFirst()),
                       kind: .sequenceGap, sequence: 1, message: "expected sequence 1, found 2"),
            TamperCase(name: "swapped records are a gap where the order breaks", records: [r[0], r[1], r[3], r[2], r[4]],
                       kind: .sequenceGap, sequence: 3, message: "expected sequence 3, found 4"),
            TamperCase(name: "a replayed record is a gap", records: [r[0], r[1], r[1], r[2]],
                       kind: .sequenceGap, sequence: 3, message: "expected sequence 3, found 2"),
            TamperCase(name: "a record inserted and the rest renumbered breaks the link after it",
                       records: [r[0], r[1], inserted, renumbered], kind: .brokenLink, sequence: 4),
        ]
    }()

    @Test("removed, reordered or inserted records are found", arguments: tampering)
    func tampered(_ row: TamperCase) {
        let fault = SampleLog.verify(row.records)
        #expect(fault?.kind == row.kind)
        #expect(fault?.sequence == row.sequence)
        if let message = row.message {
            #expect(fault?.message == message)
        }
    }

    @Test("checkpoints signed with the gateway key verify")
    func signedCheckpoints() {
        let checkpoints = [SampleLog.checkpoint(at: 2), SampleLog.checkpoint(at: 5)]
        for checkpoint in checkpoints {
            #expect(checkpoint.verifySignature(publicKey: SampleLog.key.publicKey))
            #expect(checkpoint.signature.count == 64)
        }
        #expect(SampleLog.verify(SampleLog.records, checkpoints: checkpoints) == nil)
    }

    @Test("a checkpoint beyond the end of the log shows rows were removed")
    func checkpointBeyondEnd() {
        let fault = SampleLog.verify(SampleLog.records, checkpoints: [SampleLog.checkpoint(at: 9)])
        #expect(fault?.kind == .checkpointMismatch)
        #expect(fault?.sequence == 6)
    }

    @Test("a checkpoint shows a log truncated after it was signed")
    func truncatedLog() {
        let fault = SampleLog.verify(Array(SampleLog.records.prefix(3)), checkpoints: [SampleLog.checkpoint(at: 5)])
        #expect(fault?.kind == .checkpointMismatch)
        #expect(fault?.sequence == 4)
        #expect(fault?.message.contains("rows were removed") == true)
    }

    @Test("a checkpoint shows a log rewritten with valid hashes after it was signed")
    func rewrittenLog() {
        var events = SampleLog.events
        events[2] = RecordEdit.actor.apply(to: events[2])
        let rewritten = SampleLog.chain(events)
        #expect(SampleLog.verify(rewritten) == nil)
        let fault = SampleLog.verify(rewritten, checkpoints: [SampleLog.checkpoint(at: 2), SampleLog.checkpoint(at: 5)])
        #expect(fault?.kind == .checkpointMismatch)
        #expect(fault?.sequence == 5)
        #expect(SampleLog.verify(rewritten, checkpoints: [SampleLog.checkpoint(at: 2)]) == nil)
    }

    static let forgeries: [(String, AuditCheckpoint)] = {
        let genuine = SampleLog.checkpoint(at: 3)
        var flipped = genuine.signature
        flipped[10] ^= 0x01
        let head5 = SampleLog.records[4].hash
        return [
            ("signed with another key", SampleLog.checkpoint(at: 3, key: SampleLog.otherKey)),
            ("a signature with one bit flipped", AuditCheckpoint(sequence: 3, headHash: genuine.headHash, signedAt: genuine.signedAt, signature: flipped)),
            ("an empty signature", AuditCheckpoint(sequence: 3, headHash: genuine.headHash, signedAt: genuine.signedAt, signature: [])),
            ("a signature of zeros", AuditCheckpoint(sequence: 3, headHash: genuine.headHash, signedAt: genuine.signedAt, signature: [UInt8](repeating: 0, count: 64))),
            ("a genuine signature moved to another sequence", AuditCheckpoint(sequence: 5, headHash: head5, signedAt: genuine.signedAt, signature: genuine.signature)),
            ("a genuine signature with the time changed", AuditCheckpoint(sequence: 3, headHash: genuine.headHash, signedAt: genuine.signedAt.addingTimeInterval(1), signature: genuine.signature)),
        ]
    }()

    @Test("a forged checkpoint signature is refused", arguments: forgeries)
    func forgedSignature(what: String, checkpoint: AuditCheckpoint) {
        #expect(!checkpoint.verifySignature(publicKey: SampleLog.key.publicKey))
        let fault = SampleLog.verify(SampleLog.records, checkpoints: [checkpoint])
        #expect(fault?.kind == .badCheckpointSignature, "\(what)")
        #expect(fault?.sequence == checkpoint.sequence)
    }

    @Test("a checkpoint's time is kept at millisecond precision, so it verifies after storage")
    func checkpointMilliseconds() throws {
        let checkpoint = try AuditCheckpoint.sign(
            sequence: 5, headHash: SampleLog.records[4].hash, at: Date(timeIntervalSince1970: 1_800_000_060.0004)
        ) { Array(try SampleLog.key.signature(for: $0)) }
        #expect(checkpoint.signedAt.millisecondsSinceEpoch == 1_800_000_060_000)
        let stored = AuditCheckpoint(
            sequence: checkpoint.sequence, headHash: checkpoint.headHash,
            signedAt: Date(millisecondsSinceEpoch: checkpoint.signedAt.millisecondsSinceEpoch), signature: checkpoint.signature
        )
        #expect(stored.verifySignature(publicKey: SampleLog.key.publicKey))
    }
}

@Suite("Audit encoding vectors")
struct AuditVectorTests {
    static let event1 = AuditEvent(
        time: Date(millisecondsSinceEpoch: 1_800_000_000_123), actor: "alice", action: .requestCancelled, subject: "0123456789abcdefghjk"
    )
    static let event2 = AuditEvent(
        time: Date(millisecondsSinceEpoch: 1_800_000_060_000), actor: "system", action: .requestExpired,
        subject: "zyxwvtsrqpnmkjhgfedc", details: ["was": "approved"]
    )

    @Test("the documented audit event vectors hash as documented")
    func eventVectors() {
        let first = AuditChain.record(after: nil, event: Self.event1)
        let second = AuditChain.record(after: first, event: Self.event2)
        #expect(first.hash.hexString == "17463f21e34a8a1618156aa9fd45ee12901c189f4b701a45db038538215dea3e")
        #expect(second.hash.hexString == "583a756142c840c5ab99bca3e7fd7d0756279e9d75684e25360f8dbdb3b59b39")
    }

    @Test("an audit event hash covers the documented items in order")
    func eventEncoding() {
        let previous = [UInt8](repeating: 0xab, count: 32)
        let event = AuditEvent(
            time: Date(millisecondsSinceEpoch: 42), actor: "bob", action: .requestDenied, subject: "s",
            details: ["reason": "No", "b": "2", "a": "1"]
        )
        let items: [[UInt8]] = [
            IndependentEncoding.item("countersign/audit-event/v1"), IndependentEncoding.item(bytes: previous),
        ] + ["7", "42", "bob", "request.denied", "s", "3", "a", "1", "b", "2", "reason", "No"].map(IndependentEncoding.item)
        let bytes = Array(items.joined())
        #expect(AuditChain.hash(sequence: 7, event: event, previousHash: previous) == SHA256.hash(data: bytes).map { $0 })
    }

    @Test("the checkpoint message is the documented bytes")
    func checkpointMessage() throws {
        let head = try #require([UInt8](hexString: "583a756142c840c5ab99bca3e7fd7d0756279e9d75684e25360f8dbdb3b59b39"))
        let message = AuditCheckpoint.signedMessage(sequence: 2, headHash: head, signedAt: Date(millisecondsSinceEpoch: 1_800_000_120_000))
        #expect(message.hexString ==
            "0000001f636f756e7465727369676e2f61756469742d636865636b706f696e742f76310000000132"
            + "00000020583a756142c840c5ab99bca3e7fd7d0756279e9d75684e25360f8dbdb3b59b39"
            + "0000000d31383030303030313230303030")
        let items: [[UInt8]] = [
            IndependentEncoding.item("countersign/audit-checkpoint/v1"), IndependentEncoding.item("2"),
            IndependentEncoding.item(bytes: head), IndependentEncoding.item("1800000120000"),
        ]
        #expect(message == Array(items.joined()))
    }

    @Test("the documented checkpoint signature verifies under the documented public key")
    func checkpointSignatureVector() throws {
        // Ed25519 is deterministic (RFC 8032), so the documented signature is what any signer
        // produces; only verification is asserted, as some platforms randomise signing.
        let publicKey = try #require([UInt8](hexString: "79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664"))
        #expect(SampleLog.key.publicKey.rawRepresentation == Data(publicKey))
        let checkpoint = AuditCheckpoint(
            sequence: 2,
            headHash: try #require([UInt8](hexString: "583a756142c840c5ab99bca3e7fd7d0756279e9d75684e25360f8dbdb3b59b39")),
            signedAt: Date(millisecondsSinceEpoch: 1_800_000_120_000),
            signature: try #require([UInt8](hexString:
                "cea4a74689ceedb4f588f7aae827fff662135657027ed5bc61d50c38ab8689da"
                + "6e4baec70990d17e22071382a8cd88a2147629185784ec376daac44793519808"))
        )
        #expect(checkpoint.verifySignature(publicKey: try Curve25519.Signing.PublicKey(rawRepresentation: publicKey)))
        let records = SampleLog.chain([Self.event1, Self.event2])
        var verifier = AuditChainVerifier(checkpointSequences: [2])
        for record in records { #expect(verifier.check(record) == nil) }
        #expect(verifier.check([checkpoint], publicKey: SampleLog.key.publicKey) == nil)
    }
}

@Suite("Audit event bounds")
struct AuditEventBoundsTests {
    static let marker = "…[truncated]"

    @Test("a 1 MB actor is cut to the field limit and marked")
    func hugeActor() {
        let event = AuditEvent(time: SampleLog.start, actor: String(repeating: "a", count: 1_000_000), action: .loginFailed, subject: "x")
        #expect(event.actor == String(repeating: "a", count: AuditEvent.maximumFieldLength) + Self.marker)
    }

    @Test("a 1 MB subject is cut to the field limit and marked")
    func hugeSubject() {
        let event = AuditEvent(time: SampleLog.start, actor: "x", action: .loginFailed, subject: String(repeating: "s", count: 1_000_000))
        #expect(event.subject == String(repeating: "s", count: AuditEvent.maximumFieldLength) + Self.marker)
    }

    @Test("a 1 MB detail value is cut to the details limit and marked")
    func hugeDetail() {
        let event = AuditEvent(time: SampleLog.start, actor: "x", action: .loginFailed, subject: "x",
                               details: ["user_agent": String(repeating: "u", count: 1_000_000), "ok": "short"])
        #expect(event.details["user_agent"] == String(repeating: "u", count: AuditEvent.maximumDetailsLength) + Self.marker)
        #expect(event.details["ok"] == "short")
    }

    @Test(
        "a value at the limit is kept whole; one byte over is cut",
        arguments: [(256, false), (255, false), (257, true)]
    )
    func limit(length: Int, cut: Bool) {
        let actor = String(repeating: "a", count: length)
        let event = AuditEvent(time: SampleLog.start, actor: actor, action: .loginFailed, subject: "x")
        #expect(event.actor == (cut ? String(actor.prefix(256)) + Self.marker : actor))
    }

    @Test("multi-byte text is cut on a character boundary within the byte limit")
    func multibyte() {
        let event = AuditEvent(time: SampleLog.start, actor: String(repeating: "é", count: 1000), action: .loginFailed, subject: "x")
        #expect(event.actor == String(repeating: "é", count: 128) + Self.marker)
        let odd = AuditEvent(time: SampleLog.start, actor: "a" + String(repeating: "€", count: 1000), action: .loginFailed, subject: "x")
        // 1 + 85 × 3 = 256 bytes.
        #expect(odd.actor == "a" + String(repeating: "€", count: 85) + Self.marker)
    }

    @Test("one 1 MB character (a base and half a million combining marks) is cut to nothing but the mark")
    func enormousGrapheme() {
        let actor = "a" + String(repeating: "\u{301}", count: 500_000)
        let event = AuditEvent(time: SampleLog.start, actor: actor, action: .loginFailed, subject: "x")
        #expect(event.actor == Self.marker)
    }

    @Test("a bounded event chains and verifies like any other")
    func boundedEventVerifies() {
        let event = AuditEvent(time: SampleLog.start, actor: String(repeating: "a", count: 1_000_000), action: .loginFailed, subject: "x")
        let records = SampleLog.chain([event, SampleLog.events[0]])
        #expect(SampleLog.verify(records) == nil)
    }

    @Test("event times are kept at millisecond precision")
    func milliseconds() {
        let event = AuditEvent(time: Date(timeIntervalSince1970: 1_800_000_000.12345), actor: "x", action: .logout, subject: "x")
        #expect(event.time.millisecondsSinceEpoch == 1_800_000_000_123)
        #expect(event.time == Date(millisecondsSinceEpoch: 1_800_000_000_123))
    }
}
