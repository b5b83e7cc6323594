import CountersignCore
import CountersignServer
import CountersignStore
import Foundation
import Glibc
import Logging
import Testing

/// One gateway per embedded database: a second is refused, naming the first; the next one after
/// it takes back what it held.
@Suite("One gateway on an embedded database")
struct EmbeddedDatabaseLockTests {
    static func build(_ configuration: GatewayConfiguration, clock: ManualClock) async throws -> Gateway {
        var logger = Logger(label: "lock-test")
        logger.logLevel = .critical
        return try await buildGateway(configuration: configuration, clock: clock, passwordVerifier: CountingVerifier(), logger: logger)
    }

    /// A gateway that claims a page and is gone without settling it, as a killed one is, after a
    /// second gateway on its directory was refused; its configuration, clock and page. The page is
    /// claimed before the gateway runs, so that its own dispatcher (on the manual clock) leaves it.
    static func firstGateway() async throws -> (GatewayConfiguration, ManualClock, OutboxMessage) {
        let first = try await GatewayHarness.make(passwordVerifier: CountingVerifier())
        let notice = try Notice(
            action: .trigger, dedupKey: "grant-1", summary: "BREAK-GLASS: carol on web-1", severity: .critical, source: "https://countersign.example",
            eventClass: "break_glass", time: first.clock.now()
        )
        let page = OutboxMessage(id: .random(), channel: try ChannelName("oncall-pagerduty"), notice: notice, createdAt: first.clock.now())
        try await first.gateway.store.enqueue([page])
        #expect(try await first.gateway.store.claimDueMessages(at: first.clock.now(), limit: 10).map(\.id) == [page.id])
        let path = first.configuration.databasePath
        try await first.gateway.application.test(.live) { _ in
            await #expect {
                _ = try await build(first.configuration, clock: first.clock)
            } throws: { error in
                "\(error)".contains("another countersignd (pid \(getpid())) is running on \(path)") && "\(error)".contains("several gateways share PostgreSQL")
            }
        }
        return (first.configuration, first.clock, page)
    }

    @Test("a second gateway on the same data directory is refused with the first one's pid; the next after it sends the page the first had claimed at once")
    func secondIsRefusedNextTakesBack() async throws {
        let (configuration, clock, page) = try await Self.firstGateway()
        defer { try? FileManager.default.removeItem(at: configuration.dataDirectory.deletingLastPathComponent()) }
        let next = try await Self.build(configuration, clock: clock)
        let due = try await next.store.claimDueMessages(at: clock.now(), limit: 10)
        #expect(due.map(\.id) == [page.id], "due at once, not when the stopped gateway's claim would have lapsed")
        #expect(due.first?.attempts == 0)
        try await next.application.test(.live) { _ in }
    }
}
