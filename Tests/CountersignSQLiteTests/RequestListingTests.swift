@testable import CountersignSQLite
import CountersignStore
import CountersignCore
import Foundation
import Testing

@Suite("Listing requests")
struct RequestListingTests {
    /// Five requests a minute apart, oldest first: three deploys and two ssh, from alice and bob.
    private func seed(_ scratch: Scratch) async throws -> [AccessRequest] {
        let requests = [
            try Fixtures.deploy(by: "alice", service: "payments", ticket: "INC-1", at: scratch.clock.now()),
            try Fixtures.ssh(by: "bob", host: "db-1.prod.example.com", at: scratch.clock.now().addingTimeInterval(60)),
            try Fixtures.deploy(by: "bob", service: "ledger", reason: "100% of the 2_0 rollout", ticket: "CHG-9", at: scratch.clock.now().addingTimeInterval(120)),
            try Fixtures.ssh(by: "alice", host: "cache-3.prod.example.com", login: "redis", at: scratch.clock.now().addingTimeInterval(180)),
            try Fixtures.deploy(by: "alice", service: "search", environment: "staging", at: scratch.clock.now().addingTimeInterval(240)),
        ]
        for request in requests { _ = try await scratch.store.createRequest(request) }
        return requests
    }

    @Test("with no filter, every request comes back, newest first")
    func newestFirst() async throws {
        try await withScratchStore { scratch in
            let seeded = try await seed(scratch)
            let listed = try await scratch.store.requests(RequestQuery())
            #expect(listed == seeded.reversed())
        }
    }

    @Test("filtering by requester returns only their requests")
    func byRequester() async throws {
        try await withScratchStore { scratch in
            let seeded = try await seed(scratch)
            let listed = try await scratch.store.requests(RequestQuery(requester: Fixtures.user("bob")))
            #expect(listed.map(\.id) == [seeded[2].id, seeded[1].id])
        }
    }

    @Test("filtering by kinds returns only those kinds")
    func byKind() async throws {
        try await withScratchStore { scratch in
            let seeded = try await seed(scratch)
            let listed = try await scratch.store.requests(RequestQuery(kinds: [.ssh]))
            #expect(listed.map(\.id) == [seeded[3].id, seeded[1].id])
        }
    }

    @Test("filtering by a set of states returns requests in any of them")
    func byStates() async throws {
        try await withScratchStore { scratch in
            let seeded = try await seed(scratch)
            let now = scratch.clock.now()
            _ = try await scratch.store.update(seeded[0].id, at: now) { current in
                try RequestRules.apply(.cancel(try Fixtures.actor("alice")), to: current, at: now)
            }
            _ = try await scratch.store.update(seeded[1].id, at: now) { current in
                try RequestRules.apply(.deny(try Fixtures.actor("erin", groups: ["dba"]), reason: "not now"), to: current, at: now)
            }
            let closed = try await scratch.store.requests(RequestQuery(states: [.cancelled, .denied]))
            #expect(closed.map(\.id) == [seeded[1].id, seeded[0].id])
            let pending = try await scratch.store.requests(RequestQuery(states: [.pending]))
            #expect(pending.map(\.id) == [seeded[4].id, seeded[3].id, seeded[2].id])
        }
    }

    @Test(
        "search finds text in any searchable field, and LIKE wildcards in it match only themselves",
        arguments: [
            ("ledger", [2]),        // service
            ("staging", [4]),       // environment
            ("cache-3", [3]),       // host
            ("redis", [3]),         // login
            ("INC-1", [0]),         // ticket
            ("0123456789abcdef0", [4, 2, 0]),  // commit
            ("rollout", [2]),       // reason
            ("bob", [2, 1]),        // requester
            ("PAYMENTS", [0]),      // case-insensitive
            ("100%", [2]),          // '%' is literal
            ("2_0", [2]),           // '_' is literal
            ("%", [2]),
            ("_", [2]),
            ("nothing-like-this", []),
        ]
    )
    func search(text: String, expected: [Int]) async throws {
        try await withScratchStore { scratch in
            let seeded = try await seed(scratch)
            let listed = try await scratch.store.requests(RequestQuery(search: text))
            #expect(listed.map(\.id) == expected.map { seeded[$0].id })
        }
    }

    @Test("search finds a request by its id")
    func searchByID() async throws {
        try await withScratchStore { scratch in
            let seeded = try await seed(scratch)
            let listed = try await scratch.store.requests(RequestQuery(search: seeded[3].id.rawValue))
            #expect(listed.map(\.id) == [seeded[3].id])
        }
    }

    @Test("filters combine: requester, kind and search together")
    func combinedFilters() async throws {
        try await withScratchStore { scratch in
            let seeded = try await seed(scratch)
            let listed = try await scratch.store.requests(RequestQuery(requester: Fixtures.user("alice"), kinds: [.deploy], search: "prod"))
            #expect(listed.map(\.id) == [seeded[0].id])
        }
    }

    @Test("paging with the keyset cursor walks every request once, newest first, even with equal creation times")
    func paging() async throws {
        try await withScratchStore { scratch in
            var created: [AccessRequest] = []
            for index in 0..<7 {
                // Pairs share a creation time so the id has to break the tie.
                let request = try Fixtures.deploy(at: scratch.clock.now().addingTimeInterval(TimeInterval(index / 2)))
                created.append(try await scratch.store.createRequest(request))
            }
            var pages: [[RequestID]] = []
            var cursor: RequestCursor?
            while true {
                let page = try await scratch.store.requests(RequestQuery(limit: 3, before: cursor))
                guard let last = page.last else { break }
                pages.append(page.map(\.id))
                cursor = RequestCursor(after: last)
            }
            let expected = created.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }.map(\.id)
            #expect(pages.map(\.count) == [3, 3, 1])
            #expect(pages.flatMap { $0 } == expected)
        }
    }

    @Test("a page is never larger than the limit")
    func limit() async throws {
        try await withScratchStore { scratch in
            _ = try await seed(scratch)
            #expect(try await scratch.store.requests(RequestQuery(limit: 2)).count == 2)
        }
    }

    @Test("a listing outside its bounds is refused as an invalid query", arguments: [0, -1, 501])
    func limitBounds(limit: Int) async throws {
        #expect(throws: StoreError(.invalidQuery, "limit must be between 1 and 500")) {
            try RequestQuery(limit: limit)
        }
    }

    @Test("a search text longer than the bound is refused as an invalid query")
    func searchBound() {
        #expect(throws: StoreError.self) {
            try RequestQuery(search: String(repeating: "a", count: RequestQuery.maximumSearchLength + 1))
        }
    }

    @Test("request counts cover every kind and state, zeros included")
    func counts() async throws {
        try await withScratchStore { scratch in
            let seeded = try await seed(scratch)
            let now = scratch.clock.now()
            _ = try await scratch.store.update(seeded[0].id, at: now) { current in
                try RequestRules.apply(.cancel(try Fixtures.actor("alice")), to: current, at: now)
            }
            let counts = try await scratch.store.requestCounts()
            #expect(counts.count == RequestKind.allCases.count * RequestState.allCases.count)
            let byKey = Dictionary(uniqueKeysWithValues: counts.map { ("\($0.kind)/\($0.state)", $0.count) })
            #expect(byKey["deploy/pending"] == 2)
            #expect(byKey["deploy/cancelled"] == 1)
            #expect(byKey["ssh/pending"] == 2)
            #expect(byKey["ssh/approved"] == 0)
        }
    }
}
