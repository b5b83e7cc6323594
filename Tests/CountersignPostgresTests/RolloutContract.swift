import CountersignCore
import CountersignStore
import Foundation
import Testing

/// What every backend must do with rollout starts (`countersign check --consume`): keep the
/// first, refuse a second start of a single-use approval inside the transaction that would
/// write it, and commit a start with the deploy token it yields as one unit of work.
enum RolloutContract {
    typealias Fixtures = ContractFixtures

    static let tool = DeployCaller.tooling(try! MachineTokenName("ci-payments"))

    /// alice's deploy request, approved by two SREs at `now` (window 1800 s).
    static func approvedDeploy(singleUse: Bool, on store: some RequestStore, at now: Date) async throws -> AccessRequest {
        let request = try await store.file(try Fixtures.deploy(at: now, singleUse: singleUse))
        for name in ["sam", "sue"] {
            let reviewer = try Fixtures.actor(name)
            _ = try await store.update(request.id, at: now) { try RequestRules.apply(.approve(reviewer, method: .session), to: $0, at: now) }
        }
        return try #require(try await store.request(request.id))
    }

    static func target(of request: AccessRequest) throws -> DeployTarget {
        guard case .deploy(let target) = request.target else { throw DomainError(.invalidField, "not a deploy") }
        return target
    }

    static func start(_ request: AccessRequest, by caller: DeployCaller = tool, on store: some RequestStore, at now: Date) async throws -> AccessRequest {
        let target = try target(of: request)
        return try await store.update(request.id, at: now) { try DeployGate.startRollout(of: target, under: $0, by: caller, at: now) }
    }

    /// The gate's `--consume --token-out`: the start and the token in one issue.
    static func startWithToken(_ request: AccessRequest, on store: some CredentialStore, at now: Date) async throws -> IssuedCredential {
        let target = try target(of: request)
        return try await store.issueCredential(for: request.id, at: now) { current, serial in
            let start = try DeployGate.startRollout(of: target, under: current, by: tool, at: now)
            let grant = try DeployGate.tokenGrant(of: target, for: start.request, to: tool, startingRollout: true, lifetime: 3600, at: now)
            let issue = try CredentialRules.issue(
                grant, of: start.request, serial: serial, fingerprint: CredentialStoreContract.fingerprint(serial), at: now, takenBy: tool.auditActor
            )
            let change = RequestChange(request: start.request, events: start.events + issue.events, issued: issue.issued)
            return (change, try #require(issue.issued.first))
        }
    }

    static func singleUseStartsAreKeptAndSpent(_ store: some RequestStore & AuditLog) async throws {
        let clock = ManualClock()
        let request = try await approvedDeploy(singleUse: true, on: store, at: clock.now())
        #expect(request.singleUse && request.rolloutStart == nil, "single-use is kept from filing")
        clock.advance(by: 30)
        let started = try await start(request, on: store, at: clock.now())
        #expect(started.rolloutStart == RolloutStart(at: clock.now(), by: tool))
        #expect(try await store.request(request.id) == started, "the start reads back as written")
        let found = try await store.deployRequests(service: "payments", environment: "prod", commit: try ArtifactReference("0123456789abcdef0123456789abcdef01234567"), limit: 10)
        #expect(found == [started], "the gate's lookup sees the start")

        let eventsBefore = try await store.auditRecords(after: 0, limit: 100).count
        clock.advance(by: 5)
        let alice = DeployCaller.person(try Fixtures.user("alice"))
        for caller in [tool, alice] {
            #expect(await Fixtures.refusalCode { _ = try await start(started, by: caller, on: store, at: clock.now()) } == "deploy_consumed")
        }
        #expect(try await store.request(request.id) == started, "a refused start changes nothing")
        #expect(try await store.auditRecords(after: 0, limit: 100).count == eventsBefore, "and writes no event")
        let last = try #require(try await store.auditRecords(after: 0, limit: 100).last?.event)
        #expect(last.action == .deployRolloutStarted && last.actor == "machine:ci-payments" && last.details["single_use"] == "true")
    }

    static func reusableApprovalsRecordEveryStart(_ store: some RequestStore & AuditLog) async throws {
        let clock = ManualClock()
        let request = try await approvedDeploy(singleUse: false, on: store, at: clock.now())
        let first = clock.now()
        _ = try await start(request, on: store, at: first)
        clock.advance(by: 60)
        let again = try await start(request, on: store, at: clock.now())
        #expect(again.rolloutStart == RolloutStart(at: first, by: tool), "the first start is kept")
        let starts = try await store.auditRecords(after: 0, limit: 100).map(\.event).filter { $0.action == .deployRolloutStarted }
        #expect(starts.map { $0.details["first_start"] } == ["true", "false"], "every start is audited")
    }

    static func aStartCommitsWithItsToken(_ store: some RequestStore & CredentialStore & AuditLog) async throws {
        let clock = ManualClock()
        let request = try await approvedDeploy(singleUse: true, on: store, at: clock.now())
        let eventsBefore = try await store.auditRecords(after: 0, limit: 100).count
        let token = try await startWithToken(request, on: store, at: clock.now())
        #expect(token.grant.kind == .deployToken && token.grant.holder.rawValue == "alice")
        #expect(try await store.credentials(of: request.id) == [token])
        #expect(try await store.request(request.id)?.rolloutStart == RolloutStart(at: clock.now(), by: tool))
        let events = try await store.auditRecords(after: 0, limit: 100).dropFirst(eventsBefore).map(\.event)
        #expect(events.map(\.action) == [.deployRolloutStarted, .credentialIssued])
        #expect(events.allSatisfy { $0.actor == "machine:ci-payments" })

        // Spent: neither another start with a token, nor a token on its own.
        let spent = try #require(try await store.request(request.id))
        #expect(await Fixtures.refusalCode { _ = try await startWithToken(spent, on: store, at: clock.now()) } == "deploy_consumed")
        #expect(await Fixtures.refusalCode {
            _ = try await store.issueCredential(for: request.id, at: clock.now()) { current, serial in
                let grant = try CredentialRules.grant(.deployToken, for: current, to: current.requester, lifetime: 60, at: clock.now())
                return (try CredentialRules.issue(grant, of: current, serial: serial, fingerprint: CredentialStoreContract.fingerprint(serial), at: clock.now()), ())
            }
        } == "invalid_state")
        #expect(try await store.credentials(of: request.id) == [token], "the refusals issued nothing")
        #expect(try await store.auditRecords(after: 0, limit: 100).count == eventsBefore + 2)
    }

    /// Gateways (or one gateway's parallel requests) spending one single-use approval at once:
    /// exactly one start commits.
    static func concurrentStartsSpendOnce(_ stores: [any GatewayStore]) async throws {
        let clock = ManualClock()
        let request = try await approvedDeploy(singleUse: true, on: stores[0], at: clock.now())
        let now = clock.now()
        let outcomes = try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<8 {
                let store = stores[index % stores.count]
                group.addTask {
                    await Fixtures.refusalCode { _ = try await startWithToken(request, on: store, at: now) }
                }
            }
            return try await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == nil }.count == 1, "one start wins: \(outcomes)")
        #expect(outcomes.compactMap { $0 }.allSatisfy { $0 == "deploy_consumed" }, "the others hear it was spent: \(outcomes)")
        #expect(try await stores[0].credentials(of: request.id).count == 1)
    }
}
