import CountersignCore
import CountersignPostgres
import CountersignServer
import Foundation
import Notifications
import PostgresTesting
import Testing
import TestSupport

/// Two gateways on one PostgreSQL database, both configured with the same sinks and both running
/// their stream: the sinks' leases keep each with one of them, so every receiver gets each event
/// of the one shared chain once and in order, whichever gateway it was written on; and when the
/// gateway streaming stops, the other one goes on from where it stopped.
@Suite("The audit stream of two gateways sharing one PostgreSQL database", .timeLimit(.minutes(3)))
struct AuditStreamSharedDatabaseTests {
    typealias Stream = AuditStreamTests

    /// Passes of `gateways` (beside their running services') until both receivers have the head.
    static func caughtUp(_ gateways: [GatewayHarness], _ receivers: Stream.Receivers) async throws {
        for _ in 0..<250 {
            for harness in gateways { await harness.gateway.streamAudit() }
            let head = try await Stream.head(gateways[0])
            let now = gateways[0].clock.now()
            if try Stream.sequences(Stream.lines(receivers.detection, now: now)).last == head, try Stream.sequences(Stream.lines(receivers.syslog)).last == head {
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the stream did not catch up")
    }

    @Test("two gateways on one database stream each event once, in order; once the one streaming stops, the other goes on where it stopped")
    func twoGateways() async throws {
        let database = try await PostgresServer.createDatabase()
        let location = try PostgresLocation(url: "postgres://\(PostgresServer.user)@127.0.0.1:\(try await PostgresServer.cluster().port)/\(database)")
        let receivers = try await Stream.Receivers.start()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-audit-stream-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let notifications = try Stream.configuration(receivers, in: scratch)
        let clock = ManualClock()
        func gateway() async throws -> GatewayHarness {
            try await GatewayHarness.make(clock: clock) {
                $0.notifications = notifications
                $0.database = .postgres(location)
            }
        }
        let second = try await gateway()
        let first = try await gateway()
        #expect(first.gateway.auditStream.holder != second.gateway.auditStream.holder)

        do {
            try await second.run { secondAPI in
                try await first.run { firstAPI in
                    try await Stream.work(firstAPI)
                    try await Stream.work(secondAPI)
                    try await Stream.work(firstAPI, rounds: 1)
                    try await Self.caughtUp([first, second], receivers)
                    let head = try await Stream.head(first)
                    #expect(try Stream.sequences(Stream.lines(receivers.detection, now: clock.now())) == Array(1...head), "each event once, in order")
                    #expect(try Stream.verifiedSequences(Stream.lines(receivers.detection, now: clock.now())) == Array(1...head))
                    #expect(try Stream.sequences(Stream.lines(receivers.syslog)) == Array(1...head))
                    let holder = try await first.gateway.store.auditStreamCursor(Stream.detection)?.holder
                    #expect([first.gateway.auditStream.holder, second.gateway.auditStream.holder].contains(holder))
                }
                // The first gateway has stopped, releasing whatever it held; the second goes on.
                for sink in [Stream.detection, Stream.syslog] {
                    #expect(try await second.gateway.store.auditStreamCursor(sink)?.holder != first.gateway.auditStream.holder, "released at shutdown")
                }
                try await Stream.work(secondAPI, rounds: 2)
                try await Self.caughtUp([second], receivers)
                let head = try await Stream.head(second)
                #expect(try Stream.sequences(Stream.lines(receivers.detection, now: clock.now())) == Array(1...head), "nothing skipped, nothing twice")
                #expect(try Stream.verifiedSequences(Stream.lines(receivers.detection, now: clock.now())) == Array(1...head))
                #expect(try Stream.verifiedSequences(Stream.lines(receivers.syslog)) == Array(1...head))
                let cursor = try await second.gateway.store.auditStreamCursor(Stream.syslog)
                #expect(cursor?.acknowledged == head && cursor?.holder == second.gateway.auditStream.holder)
            }
        } catch {
            await receivers.stop()
            throw error
        }
        await receivers.stop()
    }
}
