@testable import CountersignSQLite
import CountersignStore
import CountersignCore
import Foundation
import Testing

@Suite("Storing and reading requests")
struct RequestStorageTests {
    @Test("a created deploy request reads back equal, field for field")
    func deployRoundTrip() async throws {
        try await withScratchStore { scratch in
            let request = try Fixtures.deploy(at: scratch.clock.now())
            _ = try await scratch.store.createRequest(request)
            #expect(try await scratch.store.request(request.id) == request)
        }
    }

    @Test("a created ssh request reads back equal, field for field")
    func sshRoundTrip() async throws {
        try await withScratchStore { scratch in
            let request = try Fixtures.ssh(requirement: Fixtures.requirement([(1, "dba"), (1, "sre")], hardwareKey: true), at: scratch.clock.now())
            _ = try await scratch.store.createRequest(request)
            #expect(try await scratch.store.request(request.id) == request)
        }
    }

    @Test("creating a request appends its request.created event, which the core describes")
    func creationIsAudited() async throws {
        try await withScratchStore { scratch in
            let request = try Fixtures.deploy(at: scratch.clock.now())
            _ = try await scratch.store.createRequest(request)
            let head = try #require(try await scratch.store.auditHead())
            #expect(head.sequence == 1)
            #expect([head.event] == RequestRules.create(request).events)
        }
    }

    @Test("a request id is taken only once")
    func duplicateID() async throws {
        try await withScratchStore { scratch in
            let request = try Fixtures.deploy(at: scratch.clock.now())
            _ = try await scratch.store.createRequest(request)
            let code = await storeErrorCode { _ = try await scratch.store.createRequest(request) }
            #expect(code == .alreadyExists)
            #expect(try await scratch.auditCount() == 1)
        }
    }

    @Test("an unknown id reads as nil")
    func unknownRequest() async throws {
        try await withScratchStore { scratch async throws in
            #expect(try await scratch.store.request(.random()) == nil)
        }
    }

    @Test("approvals round-trip in order with the approver's groups at approval time")
    func approvalsRoundTrip() async throws {
        try await withScratchStore { scratch in
            let request = try Fixtures.deploy(requirement: Fixtures.requirement([(1, "sre"), (1, "payments-owners")]), at: scratch.clock.now())
            _ = try await scratch.store.createRequest(request)
            let approvers = [try Fixtures.actor("carol", groups: ["sre", "oncall"]), try Fixtures.actor("dave", groups: ["payments-owners"])]
            var latest = request
            for approver in approvers {
                scratch.clock.advance(by: 60)
                latest = try await scratch.store.update(request.id, at: scratch.clock.now()) { [now = scratch.clock.now()] current in
                    try RequestRules.apply(.approve(approver, method: .session), to: current, at: now)
                }
            }
            let stored = try #require(try await scratch.store.request(request.id))
            #expect(stored == latest)
            #expect(stored.state == .approved)
            #expect(stored.approvals.map(\.approver.rawValue) == ["carol", "dave"])
            #expect(stored.approvals.first?.groups == ["sre", "oncall"])
        }
    }

    @Test("a denial round-trips with who, why and when")
    func denialRoundTrip() async throws {
        try await withScratchStore { scratch in
            let request = try Fixtures.deploy(at: scratch.clock.now())
            _ = try await scratch.store.createRequest(request)
            let denier = try Fixtures.actor("carol")
            let denied = try await scratch.store.update(request.id, at: scratch.clock.now()) { [now = scratch.clock.now()] current in
                try RequestRules.apply(.deny(denier, reason: "freeze until Monday"), to: current, at: now)
            }
            #expect(try await scratch.store.request(request.id) == denied)
            #expect(denied.denial?.reason == "freeze until Monday")
        }
    }

    @Test("a revocation round-trips with who closed it and why")
    func revocationRoundTrip() async throws {
        try await withScratchStore { scratch in
            let request = try Fixtures.ssh(at: scratch.clock.now())
            _ = try await scratch.store.createRequest(request)
            let now = scratch.clock.now()
            _ = try await scratch.store.update(request.id, at: now) { current in
                try RequestRules.apply(.approve(try Fixtures.actor("erin", groups: ["dba"]), method: .session), to: current, at: now)
            }
            let revoked = try await scratch.store.update(request.id, at: now) { current in
                try RequestRules.apply(.revoke(try Fixtures.actor("bob", groups: []), reason: "done early"), to: current, at: now)
            }
            let stored = try #require(try await scratch.store.request(request.id))
            #expect(stored == revoked)
            #expect(stored.closedBy?.rawValue == "bob")
            #expect(stored.closeReason == "done early")
            #expect(stored.accessExpiresAt == now.addingTimeInterval(900).truncatedToMilliseconds)
        }
    }

    @Test("a request whose content was edited behind the gateway's back reads as an integrity violation naming it")
    func editedContentIsCorrupt() async throws {
        try await withScratchStore { scratch in
            let request = try Fixtures.deploy(at: scratch.clock.now())
            _ = try await scratch.store.createRequest(request)
            try await scratch.rawConnection().write { db in
                try db.execute(sql: "UPDATE requests SET target = json_set(target, '$.environment', 'staging') WHERE id = ?", arguments: [request.id.rawValue])
            }
            do {
                _ = try await scratch.store.request(request.id)
                Issue.record("an edited request was read as if intact")
            } catch let error as StoreError {
                #expect(error.code == .integrityViolation)
                #expect(error.subject == request.id.rawValue)
                #expect(error.message.contains("request \(request.id)"))
            }
        }
    }

    @Test("a stored value the domain refuses reads as a corrupt row, not a crash")
    func undecodableRowIsCorrupt() async throws {
        try await withScratchStore { scratch in
            let request = try Fixtures.deploy(at: scratch.clock.now())
            _ = try await scratch.store.createRequest(request)
            try await scratch.rawConnection().write { db in
                try db.execute(sql: "UPDATE requests SET requester = '-rm -rf' WHERE id = ?", arguments: [request.id.rawValue])
            }
            let code = await storeErrorCode { _ = try await scratch.store.request(request.id) }
            #expect(code == .corruptRow)
        }
    }
}
