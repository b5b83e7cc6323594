@testable import CountersignSQLite
import CountersignStore
import CountersignCore
import Foundation
import Testing

@Suite("Changing a request")
struct RequestUpdateTests {
    @Test("an approval is persisted with its approval_recorded event")
    func approvalIsAudited() async throws {
        try await withScratchStore { scratch in
            let request = try Fixtures.deploy(at: scratch.clock.now())
            _ = try await scratch.store.createRequest(request)
            let now = scratch.clock.now()
            let updated = try await scratch.store.update(request.id, at: now) { current in
                try RequestRules.apply(.approve(try Fixtures.actor("carol"), method: .session), to: current, at: now)
            }
            #expect(updated.state == .pending)
            #expect(updated.approvals.count == 1)
            let records = try await scratch.store.auditRecords(after: 1, limit: 10)
            #expect(records.map(\.event.action) == [.approvalRecorded])
            #expect(records.first?.event.subject == request.id.rawValue)
        }
    }

    @Test("the approval that satisfies the requirement approves the request, with both events in order")
    func finalApproval() async throws {
        try await withScratchStore { scratch in
            let request = try Fixtures.deploy(at: scratch.clock.now())
            _ = try await scratch.store.createRequest(request)
            let now = scratch.clock.now()
            for approver in ["carol", "dave"] {
                _ = try await scratch.store.update(request.id, at: now) { current in
                    try RequestRules.apply(.approve(try Fixtures.actor(approver), method: .session), to: current, at: now)
                }
            }
            let stored = try #require(try await scratch.store.request(request.id))
            #expect(stored.state == .approved)
            let actions = try await scratch.store.auditRecords(after: 0, limit: 10).map(\.event.action)
            #expect(actions == [.requestCreated, .approvalRecorded, .approvalRecorded, .requestApproved])
        }
    }

    @Test("the decision sees the committed state: a second approval by the same person is refused")
    func decisionSeesCommittedState() async throws {
        try await withScratchStore { scratch in
            let request = try Fixtures.deploy(at: scratch.clock.now())
            _ = try await scratch.store.createRequest(request)
            let now = scratch.clock.now()
            let approve: @Sendable (AccessRequest) throws -> RequestChange = { current in
                try RequestRules.apply(.approve(try Fixtures.actor("carol"), method: .session), to: current, at: now)
            }
            _ = try await scratch.store.update(request.id, at: now, approve)
            await #expect(throws: DomainError.self) { try await scratch.store.update(request.id, at: now, approve) }
        }
    }

    @Test(
        "a DomainError from the decision comes back unchanged and nothing is written",
        arguments: [DomainError.Code.selfApproval, .notEligible, .invalidState]
    )
    func refusedDecisionWritesNothing(expected: DomainError.Code) async throws {
        try await withScratchStore { scratch in
            let request = try Fixtures.deploy(at: scratch.clock.now())
            _ = try await scratch.store.createRequest(request)
            let now = scratch.clock.now()
            if expected == .invalidState {
                _ = try await scratch.store.update(request.id, at: now) { current in
                    try RequestRules.apply(.cancel(try Fixtures.actor("alice")), to: current, at: now)
                }
            }
            let before = try await scratch.store.request(request.id)
            let auditBefore = try await scratch.auditCount()
            let action: RequestAction = switch expected {
            case .selfApproval: .approve(try Fixtures.actor("alice"), method: .session)
            case .notEligible: .approve(try Fixtures.actor("mallory", groups: ["marketing"]), method: .session)
            default: .approve(try Fixtures.actor("carol"), method: .session)
            }
            do {
                _ = try await scratch.store.update(request.id, at: now) { current in
                    try RequestRules.apply(action, to: current, at: now)
                }
                Issue.record("the refused decision was persisted")
            } catch let error as DomainError {
                #expect(error.code == expected)
            }
            #expect(try await scratch.store.request(request.id) == before)
            #expect(try await scratch.auditCount() == auditBefore)
        }
    }

    @Test("updating a request that does not exist is a not_found StoreError")
    func updateMissing() async throws {
        try await withScratchStore { scratch in
            let now = scratch.clock.now()
            let code = await storeErrorCode {
                _ = try await scratch.store.update(.random(), at: now) { current in
                    try RequestRules.apply(.expire, to: current, at: now)
                }
            }
            #expect(code == .notFound)
        }
    }

    @Test("a decision that returns another request is refused and nothing is written")
    func decisionAboutAnotherRequest() async throws {
        try await withScratchStore { scratch in
            let now = scratch.clock.now()
            let target = try await scratch.store.createRequest(try Fixtures.deploy(at: now))
            let other = try Fixtures.deploy(at: now)
            let code = await storeErrorCode {
                _ = try await scratch.store.update(target.id, at: now) { _ in
                    try RequestRules.apply(.cancel(try Fixtures.actor("alice")), to: other, at: now)
                }
            }
            #expect(code == .invalidChange)
            #expect(try await scratch.store.request(target.id)?.state == .pending)
            #expect(try await scratch.auditCount() == 1)
        }
    }
}
