import CountersignCore
import CountersignStore
import Foundation
import Synchronization
import Testing

/// What every backend's audit stream cursors must do, against the protocols alone, given a fresh
/// store: a sink's first cursor is created once; every change is a compare-and-set on the cursor
/// as it was read, so two gateways never both take a lease nor both move a cursor; a cursor only
/// moves forward, to a record the log has; what a change announces commits with it or not at all;
/// the database itself refuses edits that move a cursor back or delete it; a damaged row is an
/// error naming it; a commit that appends events is told to whoever waits for them.
enum AuditStreamStoreContract {
    static let sink = try! AuditSinkName("detection")
    static let pager = try! ChannelName("oncall-pagerduty")

    static func announcing(head: Int64) -> AuditStreamRules.Announcing {
        AuditStreamRules.Announcing(channels: [pager], source: "https://countersign.example", sinkDescription: "http sink detection", head: head)
    }

    struct Item: AuditStreamItem {
        let record: AuditRecord
        var byteCount: Int { 100 }
    }

    static func append(_ count: Int, to store: some AuditLog, at now: Date) async throws -> [AuditRecord] {
        try await store.appendAudit((0..<count).map { AuditEvent(time: now, actor: "alice", action: .requestCreated, subject: "request-\($0)") })
    }

    static func leased(_ cursor: AuditStreamCursor, by holder: String, at now: Date) throws -> AuditStreamCursor {
        guard case .taken(let taken) = AuditStreamRules.lease(cursor, for: holder, at: now) else {
            throw ContractError("\(holder) could not take the lease at \(now)")
        }
        return taken
    }

    struct ContractError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    // MARK: Creation and leases

    static func aSinksFirstCursorIsCreatedOnce(_ store: some AuditStreamStore & AuditLog) async throws {
        let now = ManualClock().now()
        #expect(try await store.auditStreamCursor(sink) == nil)
        #expect(try await store.auditStreamCursors().isEmpty)
        let first = try leased(AuditStreamRules.start(sink, at: now), by: "gateway-a", at: now)
        #expect(try await store.replaceAuditStreamCursor(nil, with: first, events: [], notifications: []))
        #expect(try await store.auditStreamCursor(sink) == first)
        let second = try leased(AuditStreamRules.start(sink, at: now), by: "gateway-b", at: now)
        #expect(try await !store.replaceAuditStreamCursor(nil, with: second, events: [], notifications: []), "the other gateway's first cursor is not written")
        #expect(try await store.auditStreamCursors() == [first])
    }

    static func aLeaseIsTakenByOneGatewayAndTakenOverOnlyOnceItLapsed(_ store: some AuditStreamStore & AuditLog) async throws {
        let clock = ManualClock()
        let start = AuditStreamRules.start(sink, at: clock.now())
        #expect(try await store.replaceAuditStreamCursor(nil, with: start, events: [], notifications: []))
        let a = try leased(start, by: "gateway-a", at: clock.now())
        let b = try leased(start, by: "gateway-b", at: clock.now())
        #expect(try await store.replaceAuditStreamCursor(start, with: a, events: [], notifications: []))
        #expect(try await !store.replaceAuditStreamCursor(start, with: b, events: [], notifications: []), "decided on a cursor that is no longer there")
        let stored = try #require(try await store.auditStreamCursor(sink))
        #expect(stored == a)
        #expect(AuditStreamRules.lease(stored, for: "gateway-b", at: clock.now()) == .heldElsewhere(until: clock.now().addingTimeInterval(AuditStreamRules.lease)))
        clock.advance(by: AuditStreamRules.lease)
        let takenOver = try leased(stored, by: "gateway-b", at: clock.now())
        #expect(try await store.replaceAuditStreamCursor(stored, with: takenOver, events: [], notifications: []))
        #expect(try await store.auditStreamCursor(sink)?.holder == "gateway-b")
    }

    // MARK: Moving the cursor

    static func aCursorMovesOnlyForwardToARecordOfTheLog(_ store: some AuditStreamStore & AuditLog) async throws {
        let now = ManualClock().now()
        let records = try await append(5, to: store, at: now)
        let start = try leased(AuditStreamRules.start(sink, at: now), by: "gateway-a", at: now)
        #expect(try await store.replaceAuditStreamCursor(nil, with: start, events: [], notifications: []))
        let batch = AuditStreamRules.batch(after: start, from: records.prefix(3).map(Item.init), limits: .init())
        let advanced = AuditStreamRules.acknowledge(start, batch, by: "gateway-a", at: now, announcing: announcing(head: 5)).cursor
        #expect(try await store.replaceAuditStreamCursor(start, with: advanced, events: [], notifications: []))
        let stored = try #require(try await store.auditStreamCursor(sink))
        #expect(stored.acknowledged == 3 && stored.acknowledgedHash == records[2].hash)

        let back = AuditStreamRules.acknowledge(start, AuditStreamRules.batch(after: start, from: records.prefix(1).map(Item.init), limits: .init()),
                                                by: "gateway-a", at: now, announcing: announcing(head: 5)).cursor
        #expect(await ContractFixtures.refusalCode { _ = try await store.replaceAuditStreamCursor(stored, with: back, events: [], notifications: []) } == "invalid_change")
        let forged = AuditStreamCursor(sink: sink, acknowledged: 4, acknowledgedHash: records[2].hash, nextAttemptAt: now)
        #expect(await ContractFixtures.refusalCode { _ = try await store.replaceAuditStreamCursor(stored, with: forged, events: [], notifications: []) } == "invalid_change")
        let pastTheHead = AuditStreamCursor(sink: sink, acknowledged: 6, acknowledgedHash: records[4].hash, nextAttemptAt: now)
        #expect(await ContractFixtures.refusalCode { _ = try await store.replaceAuditStreamCursor(stored, with: pastTheHead, events: [], notifications: []) } == "invalid_change")
        let otherSink = AuditStreamCursor(sink: try AuditSinkName("other"), acknowledged: 3, acknowledgedHash: records[2].hash, nextAttemptAt: now)
        #expect(await ContractFixtures.refusalCode { _ = try await store.replaceAuditStreamCursor(stored, with: otherSink, events: [], notifications: []) } == "invalid_change")
        #expect(try await store.auditStreamCursor(sink) == stored, "nothing refused was written")
    }

    /// An outage's announcement commits with the cursor that records it; decided on a cursor
    /// another gateway has changed, neither the cursor nor the announcement is written.
    static func anAnnouncementCommitsWithItsCursorOrNotAtAll(_ store: some AuditStreamStore & AuditLog & OutboxStore) async throws {
        let clock = ManualClock()
        _ = try await append(2, to: store, at: clock.now())
        let start = try leased(AuditStreamRules.start(sink, at: clock.now()), by: "gateway-a", at: clock.now())
        #expect(try await store.replaceAuditStreamCursor(nil, with: start, events: [], notifications: []))
        let failing = AuditStreamRules.fail(start, reason: "detection answered HTTP 503", retryAfter: nil, at: clock.now(), jitter: 0, announcing: announcing(head: 2))
        #expect(failing.events.isEmpty)
        #expect(try await store.replaceAuditStreamCursor(start, with: failing.cursor, events: [], notifications: []))
        clock.advance(by: AuditStreamRules.outageBound)
        let taken = try leased(failing.cursor, by: "gateway-a", at: clock.now())
        #expect(try await store.replaceAuditStreamCursor(failing.cursor, with: taken, events: [], notifications: []))
        let outage = AuditStreamRules.fail(taken, reason: "detection answered HTTP 503", retryAfter: nil, at: clock.now(), jitter: 0, announcing: announcing(head: 2))
        #expect(outage.events.count == 1 && outage.notifications.count == 1)

        let head = try await store.auditHead()?.sequence
        #expect(try await !store.replaceAuditStreamCursor(failing.cursor, with: outage.cursor, events: outage.events, notifications: outage.notifications))
        #expect(try await store.auditHead()?.sequence == head, "no audit event without its cursor")
        #expect(try await store.outboxMessages(channel: nil, pendingOnly: false, limit: 10).isEmpty, "no announcement without its cursor")

        #expect(try await store.replaceAuditStreamCursor(taken, with: outage.cursor, events: outage.events, notifications: outage.notifications))
        #expect(try await store.auditStreamCursor(sink) == outage.cursor)
        let appended = try #require(try await store.auditRecords(after: head ?? 0, limit: 10).first)
        #expect(appended.event.action == .auditStreamOutage && appended.event.subject == "detection")
        #expect(try await store.outboxMessages(channel: pager, pendingOnly: true, limit: 10).map(\.id) == outage.notifications.map(\.id))
    }

    static func gatewaysTakingALeaseTogetherGetItOnce(_ stores: [any AuditStreamStore & AuditLog]) async throws {
        let clock = ManualClock()
        let start = AuditStreamRules.start(sink, at: clock.now())
        #expect(try await stores[0].replaceAuditStreamCursor(nil, with: start, events: [], notifications: []))
        for round in 0..<10 {
            let current = try #require(try await stores[0].auditStreamCursor(sink))
            let now = clock.now()
            let wins = await withTaskGroup(of: Bool.self) { group in
                for (index, store) in stores.enumerated() {
                    group.addTask {
                        guard let taken = try? leased(current, by: "gateway-\(index)", at: now) else { return false }
                        return (try? await store.replaceAuditStreamCursor(current, with: taken, events: [], notifications: [])) == true
                    }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(wins == 1, "round \(round)")
            clock.advance(by: AuditStreamRules.lease)
        }
    }

    // MARK: What the database itself refuses

    static func rawEditsCannotMoveACursorBackOrDeleteIt(_ store: some AuditStreamStore & AuditLog, execute: (String) async throws -> Void) async throws {
        let now = ManualClock().now()
        let records = try await append(3, to: store, at: now)
        let start = try leased(AuditStreamRules.start(sink, at: now), by: "gateway-a", at: now)
        #expect(try await store.replaceAuditStreamCursor(nil, with: start, events: [], notifications: []))
        let advanced = AuditStreamRules.acknowledge(start, AuditStreamRules.batch(after: start, from: records.map(Item.init), limits: .init()),
                                                    by: "gateway-a", at: now, announcing: announcing(head: 3)).cursor
        #expect(try await store.replaceAuditStreamCursor(start, with: advanced, events: [], notifications: []))
        for statement in [
            "DELETE FROM audit_stream_cursors",
            "UPDATE audit_stream_cursors SET acknowledged = 1",
            "UPDATE audit_stream_cursors SET acknowledged = 9",
            "UPDATE audit_stream_cursors SET sink = 'elsewhere'",
            "INSERT INTO audit_stream_cursors (\(StoredAuditStreamCursor.columns)) SELECT 'forged', 2, acknowledged_hash, NULL, NULL, 0, 0, NULL, outage_announced, NULL FROM audit_stream_cursors",
        ] {
            await #expect(throws: (any Error).self, "\(statement)") { try await execute(statement) }
        }
        #expect(try await store.auditStreamCursors() == [advanced])
    }

    struct Damage: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let sql: String
    }

    /// Damage the database's own checks let through but a read refuses.
    static let damages: [Damage] = [
        Damage(testDescription: "a holder that is not a gateway's name", sql: "UPDATE audit_stream_cursors SET holder = 'a b', leased_until = 1"),
        Damage(testDescription: "a holder outside printable ASCII", sql: "UPDATE audit_stream_cursors SET holder = 'gäteway', leased_until = 1"),
        Damage(testDescription: "a count of failures out of range", sql: "UPDATE audit_stream_cursors SET failures = 9223372036854775807, failing_since = 1"),
    ]

    static func aDamagedRowReadsAsAStoreError(_ damage: Damage, _ store: some AuditStreamStore, execute: (String) async throws -> Void) async throws {
        let now = ManualClock().now()
        #expect(try await store.replaceAuditStreamCursor(nil, with: AuditStreamRules.start(sink, at: now), events: [], notifications: []))
        try await execute(damage.sql)
        for read in [{ _ = try await store.auditStreamCursor(sink) }, { _ = try await store.auditStreamCursors() }] as [() async throws -> Void] {
            let error = await #expect(throws: StoreError.self) { try await read() }
            #expect(error?.code == .corruptRow)
            #expect(error?.message.hasPrefix("audit_stream_cursors row detection is damaged") == true, "\(String(describing: error))")
        }
    }

    // MARK: Wake-ups

    static func aCommitThatAppendsEventsIsTold(_ store: some AuditStreamStore & AuditLog) async throws {
        let told = Atomic(0)
        store.whenAuditCommits { told.add(1, ordering: .relaxed) }
        _ = try await append(2, to: store, at: ManualClock().now())
        #expect(told.load(ordering: .relaxed) == 1, "one commit, one call")
        _ = try await store.auditStreamCursors()
        #expect(told.load(ordering: .relaxed) == 1, "a read is no commit")
    }
}
