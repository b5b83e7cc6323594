@testable import CountersignSQLite
import CountersignStore
import CountersignCore
import Foundation
import Testing

@Suite("Expiring requests on the clock")
struct ExpiryTests {
    @Test("a pending request past its pending lifetime expires, with its audit event")
    func pendingExpires() async throws {
        try await withScratchStore { scratch in
            let request = try Fixtures.deploy(at: scratch.clock.now(), pendingFor: 600)
            _ = try await scratch.store.createRequest(request)
            scratch.clock.advance(by: 600)
            let expired = try await scratch.store.expireDue(at: scratch.clock.now(), limit: 10)
            #expect(expired.map(\.id) == [request.id])
            #expect(try await scratch.store.request(request.id)?.state == .expired)
            let head = try #require(try await scratch.store.auditHead())
            #expect(head.event.action == .requestExpired)
            #expect(head.event.details["was"] == "pending")
        }
    }

    @Test("an approved request past the end of its access expires")
    func approvedExpires() async throws {
        try await withScratchStore { scratch in
            let request = try Fixtures.ssh(at: scratch.clock.now(), accessSeconds: 900)
            _ = try await scratch.store.createRequest(request)
            let now = scratch.clock.now()
            _ = try await scratch.store.update(request.id, at: now) { current in
                try RequestRules.apply(.approve(try Fixtures.actor("erin", groups: ["dba"]), method: .session), to: current, at: now)
            }
            scratch.clock.advance(by: 900)
            let expired = try await scratch.store.expireDue(at: scratch.clock.now(), limit: 10)
            #expect(expired.map(\.state) == [.expired])
            #expect(try await scratch.store.auditHead()?.event.details["was"] == "approved")
        }
    }

    @Test("requests not yet due, and closed ones, are left alone")
    func notDueUntouched() async throws {
        try await withScratchStore { scratch in
            let start = scratch.clock.now()
            let waiting = try Fixtures.deploy(at: start, pendingFor: 3600)
            let cancelled = try Fixtures.deploy(at: start, pendingFor: 60)
            _ = try await scratch.store.createRequest(waiting)
            _ = try await scratch.store.createRequest(cancelled)
            _ = try await scratch.store.update(cancelled.id, at: start) { current in
                try RequestRules.apply(.cancel(try Fixtures.actor("alice")), to: current, at: start)
            }
            scratch.clock.advance(by: 3599)
            let auditBefore = try await scratch.auditCount()
            #expect(try await scratch.store.expireDue(at: scratch.clock.now(), limit: 10).isEmpty)
            #expect(try await scratch.store.request(waiting.id)?.state == .pending)
            #expect(try await scratch.store.request(cancelled.id)?.state == .cancelled)
            #expect(try await scratch.auditCount() == auditBefore)
        }
    }

    @Test("at most `limit` requests expire per call; the rest follow on the next")
    func limitPerCall() async throws {
        try await withScratchStore { scratch in
            for _ in 0..<5 { _ = try await scratch.store.createRequest(try Fixtures.deploy(at: scratch.clock.now(), pendingFor: 60)) }
            scratch.clock.advance(by: 60)
            #expect(try await scratch.store.expireDue(at: scratch.clock.now(), limit: 3).count == 3)
            #expect(try await scratch.store.expireDue(at: scratch.clock.now(), limit: 3).count == 2)
            #expect(try await scratch.store.expireDue(at: scratch.clock.now(), limit: 3).isEmpty)
        }
    }
}
