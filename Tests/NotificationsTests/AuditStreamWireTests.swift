import CountersignCore
import Foundation
@testable import Notifications
import Testing

/// What an audit stream sink receives: JSON lines over HTTP, signed as the webhook channel signs,
/// or RFC 5424 messages framed by octet counting, each carrying the record's sequence, every field
/// its hash covers and both hashes, so that a receiver can recompute the chain.
@Suite struct AuditStreamWireTests {
    typealias F = NoticeFixtures

    /// Two linked records, the second with details that need escaping.
    static func records() -> [AuditRecord] {
        let first = AuditChain.record(after: nil, event: AuditEvent(
            time: Date(timeIntervalSince1970: 1_800_000_000.25), actor: "alice", action: .requestCreated, subject: "req-1", details: ["kind": "deploy"]
        ))
        let second = AuditChain.record(after: first, event: AuditEvent(
            time: Date(timeIntervalSince1970: 1_800_000_001), actor: "bob", action: .approvalRecorded, subject: "req-1",
            details: ["reason": "the \"primary\" is down\nfailing over ]", "note": "café ✓"]
        ))
        return [first, second]
    }

    /// A receiver's check, as docs/audit-stream.md tells one to make it: each line's hash is the
    /// hash of its own fields over the previous hash, and names the line before it.
    static func verify(lines: [[String: Any]], after previous: (sequence: Int64, hash: String)) throws -> (sequence: Int64, hash: String) {
        var last = previous
        for line in lines {
            let sequence = try #require(line["sequence"] as? Int64 ?? (line["sequence"] as? Int).map(Int64.init))
            #expect(sequence == last.sequence + 1, "no gap, in order")
            let previousHash = try #require(line["previous_hash"] as? String)
            #expect(previousHash == last.hash, "sequence \(sequence) names the one before it")
            let milliseconds = try #require(line["time_ms"] as? Int64 ?? (line["time_ms"] as? Int).map(Int64.init))
            let event = AuditEvent(
                time: Date(millisecondsSinceEpoch: milliseconds), actor: try #require(line["actor"] as? String),
                action: AuditAction(rawValue: try #require(line["action"] as? String)), subject: try #require(line["subject"] as? String),
                details: try #require(line["details"] as? [String: String])
            )
            let recomputed = AuditChain.hash(sequence: sequence, event: event, previousHash: try #require(hexBytes(previousHash))).hexString
            #expect(recomputed == line["hash"] as? String, "sequence \(sequence)'s hash is its content's")
            last = (sequence, recomputed)
        }
        return last
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        return stride(from: 0, to: digits.count, by: 2).compactMap { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16) }
    }

    @Test func anHTTPBatchIsJSONLinesInOrderSignedAsAWebhookIs() throws {
        let encoded = Self.records().map { EncodedAuditRecord(record: $0, bytes: AuditStreamLine.encode($0) + [UInt8(ascii: "\n")]) }
        let request = HTTPAuditSender.request(encoded, first: 1, last: 2, url: URL(string: "https://detect.example/in")!, secret: ChannelSecret(F.webhookSecret), at: F.time)
        #expect(request.url == "https://detect.example/in")
        #expect(request.header("Content-Type") == "application/x-ndjson")
        #expect(request.header("Countersign-First-Sequence") == "1" && request.header("Countersign-Last-Sequence") == "2")
        let timestamp = try #require(request.header("Countersign-Timestamp"))
        #expect(timestamp == "1800000000")
        let signature = try #require(request.header("Countersign-Signature"))
        #expect(throws: Never.self) {
            try WebhookSignature.verify(body: request.body, timestamp: timestamp, signature: signature, secret: Array(F.webhookSecret.utf8), now: F.time)
        }
        let text = String(decoding: request.body, as: UTF8.self)
        #expect(text.hasSuffix("\n") && text.split(separator: "\n", omittingEmptySubsequences: false).count == 3, "two lines, each ending in a newline")
        let lines = try text.split(separator: "\n").map { try F.json(Array($0.utf8)) }
        #expect(lines.map { Set($0.keys) } == Array(repeating: ["sequence", "time", "time_ms", "actor", "action", "subject", "details", "previous_hash", "hash"], count: 2))
        #expect(lines.first?["time"] as? String == "2027-01-15T08:00:00.250Z" && lines.first?["previous_hash"] as? String == AuditChain.genesisHash.hexString)
        #expect(try Self.verify(lines: lines, after: (0, AuditChain.genesisHash.hexString)).sequence == 2)
        #expect(!F.leaks(text) && !F.leaks("\(request)"))

        let unsigned = HTTPAuditSender.request(encoded, first: 1, last: 2, url: URL(string: "https://detect.example/in")!, secret: nil, at: F.time)
        #expect(unsigned.header("Countersign-Signature") == nil && unsigned.header("Countersign-Timestamp") == nil && unsigned.body == request.body)
    }

    @Test func aSyslogMessageIsRFC5424FramedByOctetCountingWithTheChainInItsStructuredData() throws {
        let destination = SyslogDestination(host: "127.0.0.1", port: 6514, facility: .logAudit, hostname: "gateway-1")
        let record = Self.records()[1]
        let framed = SyslogMessage.framed(record, to: destination)
        let space = try #require(framed.firstIndex(of: UInt8(ascii: " ")))
        let length = try #require(Int(String(decoding: framed[..<space], as: UTF8.self)))
        let message = Array(framed[(space + 1)...])
        #expect(length == message.count, "RFC 6587 §3.4.1: the length counts the message's bytes")
        let header = "<110>1 2027-01-15T08:00:01.000Z gateway-1 countersign - audit "
            + "[countersign@32473 sequence=\"2\" hash=\"\(record.hash.hexString)\" previous_hash=\"\(record.previousHash.hexString)\"] "
        #expect(Array(message.prefix(header.utf8.count)) == Array(header.utf8))
        let body = Array(message.dropFirst(header.utf8.count))
        #expect(Array(body.prefix(3)) == [0xEF, 0xBB, 0xBF], "MSG is UTF-8, marked as RFC 5424 §6.4 says")
        #expect(Array(body.dropFirst(3)) == AuditStreamLine.encode(record), "the same JSON an HTTP sink receives")

        let local7 = SyslogDestination(host: "127.0.0.1", port: 514, facility: .local7, hostname: "-")
        #expect(String(decoding: SyslogMessage.message(record, to: local7).prefix(8), as: UTF8.self) == "<190>1 2", "local7 × 8 + informational")
    }

    @Test func everyFacilityHasItsRFC5424Code() {
        #expect(SyslogFacility.allCases.map(\.code) == [4, 10, 13, 16, 17, 18, 19, 20, 21, 22, 23])
    }
}
