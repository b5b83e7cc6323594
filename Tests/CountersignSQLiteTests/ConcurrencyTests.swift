@testable import CountersignSQLite
import CountersignStore
import CountersignCore
import Crypto
import Foundation
import Testing

@Suite("Concurrent writers")
struct ConcurrencyTests {
    @Test("twenty concurrent approvals by distinct approvers all land and the chain has no gap")
    func concurrentApprovals() async throws {
        try await withScratchStore { scratch in
            // Two clauses of the maximum size keep the request pending through all twenty.
            let requirement = try Fixtures.requirement([(ApprovalClause.maximumCount, "sre"), (ApprovalClause.maximumCount, "dba")])
            let request = try Fixtures.deploy(requirement: requirement, at: scratch.clock.now())
            _ = try await scratch.store.createRequest(request)
            let now = scratch.clock.now()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        _ = try await scratch.store.update(request.id, at: now) { current in
                            try RequestRules.apply(.approve(try Fixtures.actor("approver\(index)"), method: .session), to: current, at: now)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let stored = try #require(try await scratch.store.request(request.id))
            #expect(Set(stored.approvals.map(\.approver.rawValue)) == Set((0..<20).map { "approver\($0)" }))
            try await expectUnbrokenChain(scratch.store, length: 21)
        }
    }

    @Test("two stores on one file (two gateway processes) never fork the chain")
    func twoConnectionsOneChain() async throws {
        try await withScratchStore { scratch in
            let second = try SQLiteStore.open(path: scratch.databasePath)
            let now = scratch.clock.now()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    let store = index.isMultiple(of: 2) ? scratch.store : second
                    group.addTask { _ = try await store.createRequest(try Fixtures.deploy(at: now)) }
                }
                try await group.waitForAll()
            }
            #expect(try await scratch.store.requests(RequestQuery()).count == 20)
            try await expectUnbrokenChain(scratch.store, length: 20)
        }
    }

    private func expectUnbrokenChain(_ store: SQLiteStore, length: Int64) async throws {
        let records = try await store.auditRecords(after: 0, limit: 100)
        #expect(records.map(\.sequence) == Array(1...length))
        let verification = try await store.verifyAudit(publicKey: Curve25519.Signing.PrivateKey().publicKey)
        #expect(verification.fault == nil)
        #expect(verification.recordsVerified == length)
    }
}
