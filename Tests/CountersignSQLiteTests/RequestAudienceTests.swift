@testable import CountersignSQLite
import CountersignStore
import CountersignCore
import Foundation
import Testing

/// A listing's audience is applied inside the query: a page holds only rows the caller may see,
/// however many newer rows they may not, and it holds exactly what the core's rule says.
@Suite("Listing requests for an audience")
struct RequestAudienceTests {
    /// Requests one minute apart that between them exercise every clause of the rules: alice's
    /// own, one sre reviews, one dba reviews, one bob already approved, one closed, a break-glass
    /// grant security reviews.
    private func seed(_ scratch: Scratch) async throws -> [AccessRequest] {
        let start = scratch.clock.now()
        var requests = [
            try Fixtures.deploy(by: "alice", requirement: try Fixtures.requirement([(1, "payments")]), at: start),
            try Fixtures.deploy(by: "carol", requirement: try Fixtures.requirement([(2, "sre")]), at: start.addingTimeInterval(60)),
            try Fixtures.ssh(by: "carol", requirement: try Fixtures.requirement([(1, "dba")]), at: start.addingTimeInterval(120)),
            try Fixtures.deploy(by: "dave", requirement: try Fixtures.requirement([(2, "sre")]), at: start.addingTimeInterval(180)),
            try Fixtures.deploy(by: "dave", requirement: try Fixtures.requirement([(1, "sre")]), at: start.addingTimeInterval(240)),
        ]
        for request in requests { _ = try await scratch.store.createRequest(request) }
        let now = start.addingTimeInterval(300)
        let bob = try Fixtures.actor("bob", groups: ["sre"])
        requests[3] = try await scratch.store.update(requests[3].id, at: now) { try RequestRules.apply(.approve(bob, method: .session), to: $0, at: now) }
        requests[4] = try await scratch.store.update(requests[4].id, at: now) { try RequestRules.apply(.cancel(try Fixtures.actor("dave")), to: $0, at: now) }
        requests.append(try await scratch.store.createRequest(try Fixtures.breakGlass(by: "carol", reviewers: ["security"], at: start.addingTimeInterval(270))))
        return requests
    }

    static let actors: [Actor] = [
        try! Fixtures.actor("alice", groups: ["payments"]),
        try! Fixtures.actor("bob", groups: ["sre"]),
        try! Fixtures.actor("carol", groups: ["sre"]),
        try! Fixtures.actor("erin", groups: ["auditors"]),
        try! Fixtures.actor("frank", groups: ["admins"]),
        try! Fixtures.actor("mallory", groups: []),
        try! Fixtures.actor("dan", groups: ["dba", "payments"]),
        try! Fixtures.actor("gina", groups: ["security"]),
    ]

    @Test("the store lists exactly the requests the core's rule lets each audience see", arguments: actors)
    func storeAgreesWithTheRule(_ actor: Actor) async throws {
        try await withScratchStore { scratch in
            let seeded = try await seed(scratch)
            for audience in [RequestAudience.viewer(actor), .reviewer(actor)] {
                let listed = try await scratch.store.requests(RequestQuery(audience: audience)).map(\.id)
                let expected = seeded.reversed().filter { RequestRules.belongs($0, to: audience) }.map(\.id)
                #expect(listed == expected, "\(audience)")
            }
        }
    }

    @Test("a page of one holds the caller's older request, not an empty page past a hidden newer one")
    func hiddenRowsDoNotTakePlacesOnAPage() async throws {
        try await withScratchStore { scratch in
            let visible = try Fixtures.deploy(by: "alice", at: scratch.clock.now())
            let hidden = try Fixtures.deploy(by: "carol", requirement: try Fixtures.requirement([(1, "dba")]), at: scratch.clock.now().addingTimeInterval(60))
            _ = try await scratch.store.createRequest(visible)
            _ = try await scratch.store.createRequest(hidden)
            let alice = try Fixtures.actor("alice", groups: ["payments"])
            let page = try await scratch.store.requests(RequestQuery(audience: .viewer(alice), limit: 1))
            #expect(page.map(\.id) == [visible.id])
        }
    }

    @Test("a request to review is found behind more newer requests than a page holds that the reviewer cannot act on")
    func reviewablePastAFullPage() async throws {
        try await withScratchStore(durability: .normal) { scratch in
            let start = scratch.clock.now()
            let waiting = try Fixtures.deploy(by: "alice", requirement: try Fixtures.requirement([(1, "sre")]), at: start)
            _ = try await scratch.store.createRequest(waiting)
            for minute in 1...250 {
                let other = try Fixtures.deploy(by: "carol", requirement: try Fixtures.requirement([(1, "dba")]), at: start.addingTimeInterval(Double(minute)))
                _ = try await scratch.store.createRequest(other)
            }
            let bob = try Fixtures.actor("bob", groups: ["sre"])
            let page = try await scratch.store.requests(RequestQuery(audience: .reviewer(bob), limit: 200))
            #expect(page.map(\.id) == [waiting.id])
        }
    }
}
