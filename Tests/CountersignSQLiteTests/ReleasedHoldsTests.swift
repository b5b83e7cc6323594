import CountersignCore
import CountersignSQLite
import CountersignStore
import Foundation
import Testing

/// What a gateway that stopped without settling leaves held in its file, taken back by the next
/// gateway on it (`EmbeddedDatabaseLock` makes sure it is the only one).
@Suite("Holds left by a stopped gateway")
struct ReleasedHoldsTests {
    static let pager = try! ChannelName("oncall-pagerduty")

    static func page(at now: Date) throws -> OutboxMessage {
        let notice = try Notice(
            action: .trigger, dedupKey: "grant-1", summary: "BREAK-GLASS: carol on web-1", severity: .critical, source: "https://countersign.example",
            eventClass: "break_glass", details: [:], time: now
        )
        return OutboxMessage(id: .random(), channel: pager, notice: notice, createdAt: now)
    }

    @Test("a claimed page and a held lease are released: the page is due at once, no attempt counted, and what was settled is untouched")
    func claimsAndLeasesAreReleased() async throws {
        try await withScratchStore { scratch in
            let now = scratch.clock.now()
            let (claimedPage, deliveredPage) = (try Self.page(at: now), try Self.page(at: now))
            try await scratch.store.enqueue([claimedPage, deliveredPage])
            let claimed = try await scratch.store.claimDueMessages(at: now, limit: 10)
            #expect(claimed.count == 2)
            let delivered = try #require(claimed.first { $0.id == deliveredPage.id })
            let settlement = DeliveryRules.settle(delivered, .delivered, at: now, jitter: 0)
            #expect(try await scratch.store.settle(settlement, claimedUntil: try #require(delivered.claimedUntil), enqueueing: []))
            #expect(try await scratch.store.claimDueMessages(at: now, limit: 10).isEmpty, "the other is held until its lease ends")

            let sink = try AuditSinkName("detection")
            guard case .taken(let leased) = AuditStreamRules.lease(AuditStreamRules.start(sink, at: now), for: "gateway-a", at: now) else {
                Issue.record("no lease")
                return
            }
            #expect(try await scratch.store.replaceAuditStreamCursor(nil, with: leased, events: [], notifications: []))

            #expect(try await scratch.store.releaseHolds() == ReleasedHolds(claims: 1, leases: 1))
            #expect(try await scratch.store.releaseHolds() == ReleasedHolds(claims: 0, leases: 0), "a second start finds nothing held")
            let again = try await scratch.store.claimDueMessages(at: now, limit: 10)
            #expect(again.map(\.id) == [claimedPage.id])
            #expect(again.first?.attempts == 0)
            let cursor = try #require(try await scratch.store.auditStreamCursor(sink))
            #expect(cursor.holder == nil && cursor.leasedUntil == nil && cursor.acknowledged == leased.acknowledged)
            guard case .delivered = try #require(try await scratch.store.outboxMessage(deliveredPage.id)).state else {
                Issue.record("the delivered page changed")
                return
            }
        }
    }
}
