@testable import CountersignSQLite
import CountersignStore
import CountersignCore
import Foundation
import GRDB
import Testing

/// The audit log is the gateway's audit device: when it cannot take a row, the action does not
/// happen (as Vault does when every audit device fails).
@Suite("Failing closed when the audit append fails")
struct FailClosedTests {
    /// What an unwritable audit table looks like to the store: every insert is refused.
    private func breakAuditAppends(_ scratch: Scratch) async throws {
        try await scratch.rawConnection().write { db in
            try db.execute(sql: """
                CREATE TRIGGER audit_device_down BEFORE INSERT ON audit_events
                BEGIN SELECT RAISE(ABORT, 'audit device unavailable'); END
                """)
        }
    }

    @Test("creating a request fails and leaves no request row")
    func createFailsClosed() async throws {
        try await withScratchStore { scratch in
            try await breakAuditAppends(scratch)
            let request = try Fixtures.deploy(at: scratch.clock.now())
            let code = await storeErrorCode { _ = try await scratch.store.createRequest(request) }
            #expect(code == .storageFailure)
            #expect(try await scratch.store.request(request.id) == nil)
            #expect(try await scratch.store.requests(RequestQuery()).isEmpty)
        }
    }

    @Test("an approval fails and the request keeps its state and approvals")
    func updateFailsClosed() async throws {
        try await withScratchStore { scratch in
            let request = try Fixtures.deploy(requirement: Fixtures.requirement([(1, "sre")]), at: scratch.clock.now())
            _ = try await scratch.store.createRequest(request)
            try await breakAuditAppends(scratch)
            let now = scratch.clock.now()
            let code = await storeErrorCode {
                _ = try await scratch.store.update(request.id, at: now) { current in
                    try RequestRules.apply(.approve(try Fixtures.actor("carol"), method: .session), to: current, at: now)
                }
            }
            #expect(code == .storageFailure)
            #expect(try await scratch.store.request(request.id) == request)
        }
    }

    @Test("a login fails and no session is stored")
    func sessionFailsClosed() async throws {
        try await withScratchStore { scratch in
            try await breakAuditAppends(scratch)
            let now = scratch.clock.now()
            let session = LoginSession(
                tokenHash: LoginSession.tokenHash(of: Array("a-session-token".utf8)), username: try Fixtures.user("alice"),
                createdAt: now, expiresAt: now.addingTimeInterval(3600)
            )
            let code = await storeErrorCode {
                try await scratch.store.createSession(session, event: AuditEvent(time: now, actor: "alice", action: .loginSucceeded, subject: "alice"))
            }
            #expect(code == .storageFailure)
            #expect(try await scratch.store.session(tokenHash: session.tokenHash, at: now) == nil)
        }
    }

    @Test("expiry fails and the due request stays pending")
    func expiryFailsClosed() async throws {
        try await withScratchStore { scratch in
            let request = try Fixtures.deploy(at: scratch.clock.now(), pendingFor: 60)
            _ = try await scratch.store.createRequest(request)
            try await breakAuditAppends(scratch)
            scratch.clock.advance(by: 120)
            let code = await storeErrorCode { _ = try await scratch.store.expireDue(at: scratch.clock.now(), limit: 10) }
            #expect(code == .storageFailure)
            #expect(try await scratch.store.request(request.id)?.state == .pending)
        }
    }
}
