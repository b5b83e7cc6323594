import Foundation
import Testing
@testable import CountersignCore

/// Streaming the audit log: who holds a sink, what the next batch is, how an acknowledgement or a
/// failure moves the cursor, and when an outage is announced, under an injected time (offsets in
/// seconds from a fixed instant) and an injected jitter.
@Suite("Audit stream rules")
struct AuditStreamRulesTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static func at(_ offset: TimeInterval) -> Date { start.addingTimeInterval(offset) }
    static let sink = try! AuditSinkName("detection")
    static let me = "gateway-a"
    static let other = "gateway-b"
    static let slack = try! ChannelName("security-slack")
    static let pager = try! ChannelName("oncall-pagerduty")

    static func announcing(head: Int64 = 10) -> AuditStreamRules.Announcing {
        AuditStreamRules.Announcing(channels: [pager, slack], source: "https://countersign.example.com", sinkDescription: "http sink detection", head: head)
    }

    /// A chain of `count` records, as a store appends them.
    static func chain(_ count: Int) -> [AuditRecord] {
        var records: [AuditRecord] = []
        for index in 0..<count {
            let event = AuditEvent(time: at(Double(index)), actor: "alice", action: .requestCreated, subject: "request-\(index)", details: ["n": String(index)])
            records.append(AuditChain.record(after: records.last, event: event))
        }
        return records
    }

    struct Item: AuditStreamItem {
        let record: AuditRecord
        let byteCount: Int
    }

    static func items(_ records: [AuditRecord], bytes: Int = 100) -> [Item] {
        records.map { Item(record: $0, byteCount: bytes) }
    }

    static func cursor(
        acknowledged records: [AuditRecord] = [], holder: String? = nil, leasedUntil: TimeInterval? = nil, failures: Int = 0, next: TimeInterval = 0,
        failingSince: TimeInterval? = nil, announced: Bool = false
    ) -> AuditStreamCursor {
        AuditStreamCursor(
            sink: sink, acknowledged: records.last?.sequence ?? 0, acknowledgedHash: records.last?.hash ?? AuditChain.genesisHash, holder: holder,
            leasedUntil: leasedUntil.map(at), failures: failures, nextAttemptAt: at(next), failingSince: failingSince.map(at),
            outageAnnounced: announced, lastError: failures > 0 ? "detection answered HTTP 503" : nil
        )
    }

    // MARK: The lease

    struct LeaseCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let cursor: AuditStreamCursor
        let now: TimeInterval
        /// "held", "taken", "elsewhere" or "waiting".
        let expected: String
    }

    static let leaseCases: [LeaseCase] = [
        LeaseCase(testDescription: "a sink nobody holds is taken", cursor: cursor(), now: 0, expected: "taken"),
        LeaseCase(testDescription: "another gateway's lease, still running, keeps it there", cursor: cursor(holder: other, leasedUntil: 60), now: 59.999, expected: "elsewhere"),
        LeaseCase(testDescription: "another gateway's lease lapsed (it died mid-batch): taken over", cursor: cursor(holder: other, leasedUntil: 60), now: 60, expected: "taken"),
        LeaseCase(testDescription: "its own lease with half or more to run: streamed without a write", cursor: cursor(holder: me, leasedUntil: 60), now: 30, expected: "held"),
        LeaseCase(testDescription: "its own lease past half: renewed", cursor: cursor(holder: me, leasedUntil: 60), now: 31, expected: "taken"),
        LeaseCase(testDescription: "its own lease lapsed: taken again", cursor: cursor(holder: me, leasedUntil: 60), now: 90, expected: "taken"),
        LeaseCase(testDescription: "a backoff still running: nobody sends", cursor: cursor(failures: 1, next: 8, failingSince: 0), now: 7.999, expected: "waiting"),
        LeaseCase(testDescription: "a backoff run out: taken", cursor: cursor(failures: 1, next: 8, failingSince: 0), now: 8, expected: "taken"),
    ]

    @Test("lease", arguments: leaseCases)
    func lease(_ row: LeaseCase) {
        let outcome = AuditStreamRules.lease(row.cursor, for: Self.me, at: Self.at(row.now))
        switch (row.expected, outcome) {
        case ("held", .held(let cursor)):
            #expect(cursor == row.cursor)
        case ("taken", .taken(let cursor)):
            #expect(cursor.holder == Self.me && cursor.leasedUntil == Self.at(row.now + AuditStreamRules.lease))
            #expect(cursor.acknowledged == row.cursor.acknowledged && cursor.failures == row.cursor.failures, "a lease changes nothing else")
        case ("elsewhere", .heldElsewhere(let until)):
            #expect(until == row.cursor.leasedUntil)
        case ("waiting", .waiting(let until)):
            #expect(until == row.cursor.nextAttemptAt)
        default:
            Issue.record("expected \(row.expected), got \(outcome)")
        }
    }

    @Test("a lease is released only by its holder")
    func release() {
        let held = Self.cursor(holder: Self.me, leasedUntil: 60)
        let released = AuditStreamRules.release(held, by: Self.me)
        #expect(released?.holder == nil && released?.leasedUntil == nil)
        #expect(AuditStreamRules.release(held, by: Self.other) == nil)
        #expect(AuditStreamRules.release(Self.cursor(), by: Self.me) == nil)
    }

    // MARK: Batches

    struct BatchCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let acknowledged: Int
        let records: Int
        let limits: AuditStreamLimits
        let bytesEach: Int
        let expected: [Int64]
        let full: Bool
    }

    static let batchCases: [BatchCase] = [
        BatchCase(testDescription: "from the first record, all that fit", acknowledged: 0, records: 5, limits: .init(events: 10), bytesEach: 100, expected: [1, 2, 3, 4, 5], full: false),
        BatchCase(testDescription: "after the acknowledged one, never before", acknowledged: 3, records: 5, limits: .init(events: 10), bytesEach: 100, expected: [4, 5], full: false),
        BatchCase(testDescription: "bounded by count", acknowledged: 0, records: 5, limits: .init(events: 2), bytesEach: 100, expected: [1, 2], full: true),
        BatchCase(testDescription: "bounded by bytes", acknowledged: 0, records: 5, limits: .init(events: 10, bytes: 10_000), bytesEach: 4_000, expected: [1, 2], full: true),
        BatchCase(testDescription: "exactly the byte bound fits", acknowledged: 0, records: 5, limits: .init(events: 10, bytes: 8_000), bytesEach: 4_000, expected: [1, 2], full: true),
        BatchCase(testDescription: "a record larger than the bound goes alone: the stream never stalls", acknowledged: 1, records: 3, limits: .init(events: 10, bytes: 4_096), bytesEach: 50_000, expected: [2], full: true),
        BatchCase(testDescription: "nothing after the acknowledged one: empty", acknowledged: 5, records: 5, limits: .init(events: 10), bytesEach: 100, expected: [], full: false),
    ]

    @Test("batch", arguments: batchCases)
    func batch(_ row: BatchCase) {
        let records = Self.chain(row.records)
        let cursor = Self.cursor(acknowledged: Array(records.prefix(row.acknowledged)))
        // The store gives them in order; the rule does not rely on it.
        let batch = AuditStreamRules.batch(after: cursor, from: Self.items(records, bytes: row.bytesEach).reversed(), limits: row.limits)
        #expect(batch.items.map(\.record.sequence) == row.expected)
        #expect(batch.full == row.full && batch.faults.isEmpty)
    }

    @Test("records that do not continue the acknowledged chain are sent as stored, each fault named")
    func faults() throws {
        let records = Self.chain(6)
        let cursor = Self.cursor(acknowledged: Array(records.prefix(2)))
        // Sequence 4 deleted: 5 follows 3.
        let gap = AuditStreamRules.batch(after: cursor, from: Self.items([records[2], records[4], records[5]]), limits: .init())
        #expect(gap.items.map(\.record.sequence) == [3, 5, 6])
        #expect(gap.faults.map(\.kind) == [.sequenceGap] && gap.faults.first?.sequence == 4)

        // Sequence 3 rewritten with its hash recomputed over a previous hash it never had.
        let forged = AuditRecord(sequence: 3, event: records[2].event, previousHash: [UInt8](repeating: 7, count: 32),
                                 hash: AuditChain.hash(sequence: 3, event: records[2].event, previousHash: [UInt8](repeating: 7, count: 32)))
        #expect(AuditStreamRules.batch(after: cursor, from: Self.items([forged]), limits: .init()).faults.map(\.kind) == [.brokenLink])

        // Sequence 3's content edited in place.
        let edited = AuditRecord(sequence: 3, event: AuditEvent(time: Self.at(2), actor: "mallory", action: .requestCreated, subject: "request-2"),
                                 previousHash: records[2].previousHash, hash: records[2].hash)
        #expect(AuditStreamRules.batch(after: cursor, from: Self.items([edited]), limits: .init()).faults.map(\.kind) == [.contentMismatch])

        // The log rewritten under the cursor: the acknowledged hash is not what sequence 3 names.
        let elsewhere = AuditStreamCursor(sink: Self.sink, acknowledged: 2, acknowledgedHash: [UInt8](repeating: 1, count: 32), nextAttemptAt: Self.at(0))
        #expect(AuditStreamRules.batch(after: elsewhere, from: Self.items([records[2]]), limits: .init()).faults.map(\.kind) == [.brokenLink])
    }

    @Test("limits out of range are held to their bounds")
    func limits() {
        #expect(AuditStreamLimits(events: 0, bytes: 1) == AuditStreamLimits(events: 1, bytes: AuditStreamLimits.minimumBytes))
        #expect(AuditStreamLimits(events: 1_000_000, bytes: Int.max) == AuditStreamLimits(events: AuditStreamLimits.maximumEvents, bytes: AuditStreamLimits.maximumBytes))
    }

    // MARK: After an attempt

    @Test("an acknowledgement moves the cursor to the batch's last record, forgets the failures and keeps the lease")
    func acknowledge() {
        let records = Self.chain(5)
        let leased = Self.cursor(acknowledged: Array(records.prefix(1)), holder: Self.me, leasedUntil: 60, failures: 3, next: 0, failingSince: 0)
        let batch = AuditStreamRules.batch(after: leased, from: Self.items(records), limits: .init(events: 3))
        let step = AuditStreamRules.acknowledge(leased, batch, by: Self.me, at: Self.at(20), announcing: Self.announcing())
        #expect(step.cursor.acknowledged == 4 && step.cursor.acknowledgedHash == records[3].hash)
        #expect(step.cursor.failures == 0 && step.cursor.failingSince == nil && step.cursor.lastError == nil && step.cursor.nextAttemptAt == Self.at(20))
        #expect(step.cursor.holder == Self.me && step.cursor.leasedUntil == Self.at(20 + AuditStreamRules.lease))
        #expect(step.events.isEmpty && step.notifications.isEmpty, "an outage never announced ends silently")

        let empty = AuditStreamRules.batch(after: step.cursor, from: Self.items(Array(records.prefix(4))), limits: .init())
        #expect(AuditStreamRules.acknowledge(step.cursor, empty, by: Self.me, at: Self.at(21), announcing: Self.announcing()).cursor == step.cursor, "an empty batch moves nothing")
    }

    struct FailCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let failuresBefore: Int
        let retryAfter: TimeInterval?
        let jitter: Double
        /// The wait before the next attempt, in seconds.
        let wait: TimeInterval
    }

    static let failCases: [FailCase] = [
        FailCase(testDescription: "a first failure waits as the outbox's does, between 1 and 2 s", failuresBefore: 0, retryAfter: nil, jitter: 0, wait: 1),
        FailCase(testDescription: "full jitter: 2 s", failuresBefore: 0, retryAfter: nil, jitter: 1, wait: 2),
        FailCase(testDescription: "the fourth failure: 16 s halved and spread", failuresBefore: 3, retryAfter: nil, jitter: 0.5, wait: 12),
        FailCase(testDescription: "the backoff stops growing at 10 minutes, and never gives up", failuresBefore: 500, retryAfter: nil, jitter: 1, wait: 600),
        FailCase(testDescription: "429 with a Retry-After longer than the backoff is honoured", failuresBefore: 0, retryAfter: 120, jitter: 1, wait: 120),
        FailCase(testDescription: "a Retry-After shorter than the backoff does not hurry it", failuresBefore: 5, retryAfter: 1, jitter: 0, wait: 32),
        FailCase(testDescription: "an absurd Retry-After is held to an hour", failuresBefore: 0, retryAfter: 1e12, jitter: 0, wait: 3600),
    ]

    @Test("fail", arguments: failCases)
    func fail(_ row: FailCase) {
        let records = Self.chain(3)
        let leased = Self.cursor(
            acknowledged: Array(records.prefix(1)), holder: Self.me, leasedUntil: 60, failures: row.failuresBefore, failingSince: row.failuresBefore > 0 ? 90 : nil
        )
        let step = AuditStreamRules.fail(leased, reason: "detection answered HTTP 503", retryAfter: row.retryAfter, at: Self.at(100), jitter: row.jitter, announcing: Self.announcing())
        #expect(step.cursor.nextAttemptAt.timeIntervalSince(Self.at(100)) == row.wait)
        #expect(step.cursor.failures == row.failuresBefore + 1 && step.cursor.lastError == "detection answered HTTP 503")
        #expect(step.cursor.acknowledged == 1 && step.cursor.acknowledgedHash == records[0].hash, "a failure never moves the cursor")
        #expect(step.cursor.holder == nil && step.cursor.leasedUntil == nil, "released, so another gateway may take the next attempt")
        #expect(step.cursor.failingSince == Self.at(row.failuresBefore > 0 ? 90 : 100))
        #expect(step.events.isEmpty && step.notifications.isEmpty, "under the outage bound")
    }

    @Test("an outage is announced once it passes the bound, once, on every channel, audited; its end is announced once too")
    func outage() throws {
        let records = Self.chain(3)
        var cursor = Self.cursor(acknowledged: Array(records.prefix(1)), holder: Self.me, leasedUntil: 60)
        var announcements: [AuditStreamRules.Step] = []
        // Failures at 0, 100, 299.999 s: under the bound. At 300 s: announced. At 400 s: not again.
        for offset in [0, 100, 299.999, 300, 400] as [TimeInterval] {
            let step = AuditStreamRules.fail(cursor, reason: "detection: cannot connect: Connection refused", retryAfter: nil, at: Self.at(offset), jitter: 0, announcing: Self.announcing(head: 10))
            if !step.events.isEmpty { announcements.append(step) }
            cursor = step.cursor
            #expect(AuditStreamRules.isInOutage(cursor, at: Self.at(offset)) == (offset >= 300))
        }
        #expect(announcements.count == 1)
        let announced = try #require(announcements.first)
        #expect(announced.cursor.outageAnnounced && announced.cursor.failures == 4)
        let event = try #require(announced.events.first)
        #expect(event.action == .auditStreamOutage && event.subject == "detection" && event.actor == AuditEvent.systemActor)
        #expect(event.details["lag"] == "9" && event.details["failures"] == "4" && event.details["failing_since"] == String(Self.start.millisecondsSinceEpoch))
        #expect(event.details["reason"]?.contains("Connection refused") == true)
        #expect(announced.notifications.map(\.channel) == [Self.pager, Self.slack])
        for message in announced.notifications {
            #expect(message.notice.eventClass == AuditStreamRules.noticeClass && message.notice.severity == .error && message.notice.action == .inform)
            #expect(message.notice.summary.contains("http sink detection") && message.notice.summary.contains("9 events behind"))
            #expect(message.notice.dedupKey == "audit-stream:detection:\(Self.start.millisecondsSinceEpoch)")
        }

        let taken: AuditStreamCursor
        guard case .taken(let leased) = AuditStreamRules.lease(cursor, for: Self.me, at: cursor.nextAttemptAt) else {
            Issue.record("the backoff did not run out")
            return
        }
        taken = leased
        let batch = AuditStreamRules.batch(after: taken, from: Self.items(records), limits: .init())
        let recovered = AuditStreamRules.acknowledge(taken, batch, by: Self.me, at: Self.at(1000), announcing: Self.announcing(head: 3))
        #expect(!recovered.cursor.outageAnnounced && recovered.cursor.failingSince == nil)
        #expect(recovered.events.map(\.action) == [.auditStreamRecovered] && recovered.notifications.count == 2)
        #expect(recovered.notifications.allSatisfy { $0.notice.severity == .info && $0.notice.summary.contains("nothing skipped") })
        #expect(recovered.notifications.first?.notice.dedupKey == "audit-stream:detection:\(Self.start.millisecondsSinceEpoch):recovered")
    }

    @Test("an outage past its bound is announced while a long backoff runs, without an attempt")
    func announcedDuringBackoff() {
        let failing = AuditStreamRules.fail(Self.cursor(), reason: "detection answered HTTP 429", retryAfter: 3600, at: Self.at(0), jitter: 0, announcing: Self.announcing()).cursor
        #expect(AuditStreamRules.announceIfOverdue(failing, at: Self.at(299), announcing: Self.announcing()) == nil)
        let step = AuditStreamRules.announceIfOverdue(failing, at: Self.at(300), announcing: Self.announcing())
        #expect(step?.cursor.outageAnnounced == true && step?.cursor.nextAttemptAt == Self.at(3600), "the backoff is left as it was")
        #expect(step?.events.map(\.action) == [.auditStreamOutage])
        #expect(step.flatMap { AuditStreamRules.announceIfOverdue($0.cursor, at: Self.at(400), announcing: Self.announcing()) } == nil, "once")
    }

    @Test("sink names are shaped like channel names; lease holders are bounded printable names")
    func names() {
        for bad in ["", "-detect", "Detect", "detect ion", "detect_ion", String(repeating: "a", count: 64)] {
            #expect((try? AuditSinkName(bad)) == nil, "\(bad)")
        }
        #expect((try? AuditSinkName("siem-syslog")) != nil)
        #expect(AuditStreamRules.isHolder("gateway-abc") && !AuditStreamRules.isHolder("") && !AuditStreamRules.isHolder("a b"))
        #expect(!AuditStreamRules.isHolder(String(repeating: "g", count: 65)))
    }
}
