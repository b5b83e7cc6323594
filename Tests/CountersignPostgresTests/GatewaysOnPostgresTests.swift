@testable import CountersignPostgres
import CountersignCore
import CountersignStore
import Foundation
import Keyring
import Logging
import PostgresTesting
import Testing

/// Runs `body` with two gateways on one fresh database: two stores, each with a pool of its own.
func withTwoGateways(_ body: @Sendable (PostgresStore, PostgresStore) async throws -> Void) async throws {
    try await withPostgresStore { first in
        let second = PostgresStore(
            configuration: try await PostgresServer.configuration(database: try await first.currentDatabase()), logger: Logger(label: "gateway-b")
        )
        let pool = Task { await second.run() }
        defer { pool.cancel() }
        try await body(first, second)
    }
}

/// Runs the same attempt on both gateways at once; returns how many succeeded and the refusals' codes.
private func race(
    _ first: PostgresStore, _ second: PostgresStore, _ attempt: @escaping @Sendable (PostgresStore, Int) async throws -> Void
) async -> (wins: Int, refusals: [String]) {
    await withTaskGroup(of: String?.self) { group in
        for (index, gateway) in [first, second].enumerated() {
            group.addTask { await ContractFixtures.refusalCode { try await attempt(gateway, index) } }
        }
        var wins = 0
        var refusals: [String] = []
        for await outcome in group {
            if let outcome { refusals.append(outcome) } else { wins += 1 }
        }
        return (wins, refusals)
    }
}

private func chainVerifies(_ store: PostgresStore) async throws -> Bool {
    try await store.verifyAudit(publicKey: EphemeralKeyring().signingKey(for: .auditCheckpoint).publicKey).isIntact
}

@Suite("Two gateways on one PostgreSQL database", .timeLimit(.minutes(3)))
struct GatewaysOnPostgresTests {
    typealias Keys = HardwareKeyStoreContract

    @Test("two gateways redeeming one registration challenge: exactly one enrols")
    func oneChallenge() async throws {
        try await withTwoGateways { first, second in
            let now = Date()
            for code in ["code-0", "code-1"] {
                try await first.createInvite(try Keys.invite(for: "bob", code: code, at: now), event: Keys.event("key.invite_created", "bob", at: now))
            }
            let challenge = try Keys.registration(Keys.challengeID("a"), for: "bob", at: now)
            try await first.openChallenge(challenge, at: now)
            let outcome = await race(first, second) { gateway, index in
                _ = try await gateway.enrolKey(
                    challengeID: challenge.id, inviteCodeHash: Keys.inviteHash("code-\(index)"), user: try ContractFixtures.user("bob"), at: now
                ) { _, _, _ in
                    (try Keys.key(UInt8(index + 1), owner: "bob", name: "key \(index)", at: now), [Keys.event("key.enrolled", "bob", at: now)])
                }
            }
            #expect(outcome.wins == 1)
            #expect(outcome.refusals == ["invalid_state"])
            #expect(try await first.keys(of: try ContractFixtures.user("bob")).count == 1)
            #expect(try await chainVerifies(first))
        }
    }

    @Test("two gateways redeeming one invite with two challenges: exactly one enrols")
    func oneInvite() async throws {
        try await withTwoGateways { first, second in
            let now = Date()
            try await first.createInvite(try Keys.invite(for: "bob", code: "the-code", at: now), event: Keys.event("key.invite_created", "bob", at: now))
            for seed in ["a", "b"] as [Character] {
                try await first.openChallenge(try Keys.registration(Keys.challengeID(seed), for: "bob", at: now), at: now)
            }
            let outcome = await race(first, second) { gateway, index in
                _ = try await gateway.enrolKey(
                    challengeID: Keys.challengeID(index == 0 ? "a" : "b"), inviteCodeHash: Keys.inviteHash("the-code"),
                    user: try ContractFixtures.user("bob"), at: now
                ) { _, _, _ in
                    (try Keys.key(UInt8(index + 1), owner: "bob", name: "key \(index)", at: now), [Keys.event("key.enrolled", "bob", at: now)])
                }
            }
            #expect(outcome.wins == 1)
            #expect(outcome.refusals == ["invalid_state"])
            #expect(try await first.keys(of: try ContractFixtures.user("bob")).count == 1)
            #expect(try await chainVerifies(first))
        }
    }

    @Test("two gateways answering one approval challenge: exactly one approves, and the key counts once")
    func oneApprovalChallenge() async throws {
        try await withTwoGateways { first, second in
            let now = Date()
            let dave = try ContractFixtures.actor("dave")
            let key = try await Keys.enrol(try Keys.key(7, owner: "dave", at: now), on: first, at: now)
            let (request, challenge, approval) = try await Keys.approvalCeremony("d", approver: "dave", on: first, at: now)
            let outcome = await race(first, second) { gateway, _ in
                _ = try await gateway.approveWithKey(challengeID: challenge.id, approver: dave.name, at: now) { current, _, keys in
                    let used = try #require(keys.first)
                    return .approved(
                        try RequestRules.apply(.approveWithHardwareKey(dave, Keys.evidence(for: key, approval)), to: current, at: now),
                        usedKey: used.used(signCount: used.signCount + 1, at: now)
                    )
                }
            }
            #expect(outcome.wins == 1)
            #expect(outcome.refusals == ["invalid_state"])
            #expect(try await first.request(request.id)?.approvals.count == 1)
            #expect(try await first.keys(of: dave.name).first?.signCount == 2)
            #expect(try await chainVerifies(first))
        }
    }

    @Test("two gateways approving one request that needs one approval: exactly one approval is recorded")
    func oneRequest() async throws {
        try await withTwoGateways { first, second in
            for _ in 0..<5 {
                let now = Date()
                let request = try await first.file(try ContractFixtures.deploy(requirement: try ContractFixtures.requirement([(1, "sre")]), at: now))
                let outcome = await race(first, second) { gateway, index in
                    _ = try await gateway.update(request.id, at: now) { current in
                        try RequestRules.apply(.approve(try ContractFixtures.actor(index == 0 ? "carol" : "dave"), method: .session), to: current, at: now)
                    }
                }
                #expect(outcome.wins == 1)
                #expect(outcome.refusals == ["invalid_state"])
                let stored = try #require(try await second.request(request.id))
                #expect(stored.state == .approved)
                #expect(stored.approvals.count == 1)
            }
            #expect(try await chainVerifies(first))
            #expect(first.committedAuditEvents + second.committedAuditEvents == 5 * 3)
        }
    }

    @Test("two gateways filing one request id at once: exactly one files it")
    func oneRequestID() async throws {
        try await withTwoGateways { first, second in
            let id = RequestID.random()
            let outcome = await race(first, second) { gateway, index in
                _ = try await gateway.file(try ContractFixtures.deploy(by: index == 0 ? "alice" : "bob", at: Date(), id: id))
            }
            #expect(outcome.wins == 1)
            #expect(outcome.refusals == ["already_exists"])
            let records = try await first.auditRecords(after: 0, limit: 10)
            #expect(records.count == 1, "one creation audited")
        }
    }

    @Test("two gateways sweeping at once expire each due request once")
    func oneExpiry() async throws {
        try await withTwoGateways { first, second in
            // On a whole millisecond, as stored: a deadline stored rounded up by a fraction of a
            // millisecond would not yet have passed at exactly start + 60 s.
            let start = Date(millisecondsSinceEpoch: Date().millisecondsSinceEpoch)
            var due: Set<RequestID> = []
            for _ in 0..<12 {
                due.insert(try await first.file(try ContractFixtures.deploy(at: start, pendingFor: 60)).id)
            }
            let sweeps = try await withThrowingTaskGroup(of: [AccessRequest].self) { group in
                for gateway in [first, second] {
                    group.addTask { try await gateway.expireDue(at: start.addingTimeInterval(60), limit: 100) }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(sweeps.count == due.count)
            #expect(Set(sweeps.map(\.id)) == due)
            #expect(try await first.auditRecords(after: 0, limit: 100).filter { $0.event.action == .requestExpired }.count == due.count)
            #expect(try await chainVerifies(first))
        }
    }

    @Test("two gateways opening challenges for one user never pass the bound together")
    func challengeBound() async throws {
        try await withTwoGateways { first, second in
            let now = Date()
            let bob = try ContractFixtures.user("bob")
            let opened = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<(CeremonyChallenge.maximumOpenPerUser + 8) {
                    let gateway = index.isMultiple(of: 2) ? first : second
                    group.addTask {
                        let challenge = CeremonyChallenge(
                            id: String(format: "%032d", index), user: bob, purpose: .registration(challenge: [UInt8](repeating: 1, count: 32)),
                            issuedAt: now
                        )
                        return await ContractFixtures.refusalCode { try await gateway.openChallenge(challenge, at: now) } == nil
                    }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(opened == CeremonyChallenge.maximumOpenPerUser)
        }
    }
}

/// The audit log is the gateway's audit device: when it cannot take a row, the action does not
/// happen, and nothing of it is left half-written.
@Suite("Failing closed on PostgreSQL when the audit append fails", .timeLimit(.minutes(3)))
struct FailClosedOnPostgresTests {
    typealias Keys = HardwareKeyStoreContract

    @Test("creating and deciding on a request fail and leave the request as it was")
    func requests() async throws {
        try await withPostgresStore { store in
            let now = Date()
            let kept = try await store.file(try ContractFixtures.deploy(requirement: try ContractFixtures.requirement([(1, "sre")]), at: now))
            let counted = store.committedAuditEvents
            try await store.breakAuditAppends()
            let lost = try ContractFixtures.deploy(at: now)
            #expect(await ContractFixtures.refusalCode { _ = try await store.file(lost) } == "storage_failure")
            #expect(try await store.request(lost.id) == nil)
            #expect(await ContractFixtures.refusalCode {
                _ = try await store.update(kept.id, at: now) { try RequestRules.apply(.approve(try ContractFixtures.actor("carol"), method: .session), to: $0, at: now) }
            } == "storage_failure")
            #expect(try await store.request(kept.id) == kept)
            #expect(await ContractFixtures.refusalCode { _ = try await store.expireDue(at: now.addingTimeInterval(7200), limit: 10) } == "storage_failure")
            #expect(try await store.request(kept.id)?.state == .pending)
            #expect(store.committedAuditEvents == counted)
        }
    }

    @Test("an enrolment and a key approval fail with nothing spent: repaired, the same ceremonies succeed")
    func ceremonies() async throws {
        try await withPostgresStore { store in
            let now = Date()
            let dave = try ContractFixtures.actor("dave")
            let key = try await Keys.enrol(try Keys.key(7, owner: "dave", at: now), on: store, at: now)
            let (request, approvalChallenge, approval) = try await Keys.approvalCeremony("d", approver: "dave", on: store, at: now)
            try await store.createInvite(try Keys.invite(for: "bob", code: "bobs", at: now), event: Keys.event("key.invite_created", "bob", at: now))
            let registration = try Keys.registration(Keys.challengeID("b"), for: "bob", at: now)
            try await store.openChallenge(registration, at: now)

            let enrol: @Sendable () async throws -> Void = {
                _ = try await store.enrolKey(challengeID: registration.id, inviteCodeHash: Keys.inviteHash("bobs"), user: try ContractFixtures.user("bob"), at: now) { _, _, _ in
                    (try Keys.key(1, owner: "bob", at: now), [Keys.event("key.enrolled", "bob", at: now)])
                }
            }
            let approve: @Sendable () async throws -> Void = {
                _ = try await store.approveWithKey(challengeID: approvalChallenge.id, approver: dave.name, at: now) { current, _, _ in
                    .approved(
                        try RequestRules.apply(.approveWithHardwareKey(dave, Keys.evidence(for: key, approval)), to: current, at: now),
                        usedKey: key.used(signCount: 9, at: now)
                    )
                }
            }
            try await store.breakAuditAppends()
            #expect(await ContractFixtures.refusalCode(enrol) == "storage_failure")
            #expect(await ContractFixtures.refusalCode(approve) == "storage_failure")
            #expect(try await store.keys(of: try ContractFixtures.user("bob")).isEmpty)
            #expect(try await store.request(request.id) == request)
            #expect(try await store.keys(of: dave.name) == [key], "the counter did not move")

            try await store.repairAuditAppends()
            #expect(await ContractFixtures.refusalCode(enrol) == nil)
            #expect(await ContractFixtures.refusalCode(approve) == nil)
            #expect(try await store.request(request.id)?.state == .approved)
            #expect(try await chainVerifies(store))
        }
    }
}
