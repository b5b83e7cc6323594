import Foundation
import Testing
@testable import CountersignCore

/// `countersign check --consume` and `--token-out`: starting a rollout under an approval, the
/// single-use rule, and the deploy token that comes with it.
@Suite("Rollout starts")
struct RolloutRulesTests {
    static let tool = DeployCaller.tooling(try! MachineTokenName("ci-payments"))
    static var target: DeployTarget { DeployGateTests.target }

    /// alice's deploy request approved by bob and dave at +60 s (window until +1860 s).
    static func approved(singleUse: Bool) throws -> AccessRequest {
        var request = Fixture.pendingRequest(singleUse: singleUse)
        for (action, offset) in Start.approved.steps {
            request = try RequestRules.apply(action, to: request, at: Fixture.created.addingTimeInterval(offset)).request
        }
        return request
    }

    static func at(_ offset: TimeInterval) -> Date { Fixture.created.addingTimeInterval(offset) }

    struct StartCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let singleUse: Bool
        /// Starts before the one judged: (caller, offset).
        let earlier: [(DeployCaller, TimeInterval)]
        let caller: DeployCaller
        let offset: TimeInterval
        /// "started", a gate refusal code, or a domain error code.
        let expected: String
    }

    static let alice = DeployCaller.person(Cast.alice.name)
    static let bob = DeployCaller.person(Cast.bob.name)

    static let table: [StartCase] = [
        StartCase(testDescription: "deploy tooling starts a single-use rollout", singleUse: true, earlier: [], caller: tool, offset: 90, expected: "started"),
        StartCase(testDescription: "the requester starts it herself", singleUse: true, earlier: [], caller: alice, offset: 90, expected: "started"),
        StartCase(testDescription: "another person may not start it", singleUse: true, earlier: [], caller: bob, offset: 90, expected: "forbidden"),
        StartCase(testDescription: "a second start of a single-use approval is refused", singleUse: true, earlier: [(tool, 90)], caller: tool, offset: 100, expected: "deploy_consumed"),
        StartCase(testDescription: "the requester cannot spend it twice either", singleUse: true, earlier: [(tool, 90)], caller: alice, offset: 100, expected: "deploy_consumed"),
        StartCase(testDescription: "an approval that is not single-use starts again and again", singleUse: false, earlier: [(tool, 90), (tool, 95)], caller: tool, offset: 100, expected: "started"),
        StartCase(testDescription: "no start after the window closed", singleUse: true, earlier: [], caller: tool, offset: 1860, expected: "deploy_expired"),
        StartCase(testDescription: "no start before approval", singleUse: true, earlier: [], caller: tool, offset: 30, expected: "deploy_pending"),
    ]

    @Test("who may start a rollout, and how often", arguments: table)
    func starts(_ start: StartCase) throws {
        var request = try Self.approved(singleUse: start.singleUse)
        if start.offset < 60 { request = Fixture.pendingRequest(singleUse: start.singleUse) }
        for (caller, offset) in start.earlier {
            request = try DeployGate.startRollout(of: Self.target, under: request, by: caller, at: Self.at(offset)).request
        }
        let outcome: String
        do {
            let change = try DeployGate.startRollout(of: Self.target, under: request, by: start.caller, at: Self.at(start.offset))
            outcome = "started"
            #expect(change.events.map(\.action) == [.deployRolloutStarted])
            #expect(change.events.first?.actor == start.caller.auditActor)
            #expect(change.events.first?.details["first_start"] == String(start.earlier.isEmpty))
            // The request keeps the first start, whoever came after.
            let first = start.earlier.first.map { RolloutStart(at: Self.at($0.1), by: $0.0) } ?? RolloutStart(at: Self.at(start.offset), by: start.caller)
            #expect(change.request.rolloutStart == first)
        } catch let refusal as DeployRefusal {
            outcome = refusal.code
        } catch let error as DomainError {
            outcome = error.code.rawValue
        }
        #expect(outcome == start.expected)
    }

    @Test("once spent, the gate refuses the rollout, naming who spent it and when")
    func spentIsRefused() throws {
        let request = try Self.approved(singleUse: true)
        let spent = try DeployGate.startRollout(of: Self.target, under: request, by: Self.tool, at: Self.at(90)).request
        #expect(DeployGate.verdict(for: Self.target, among: [spent], at: Self.at(91)) == .refused(.consumed(RolloutStart(at: Self.at(90), by: Self.tool))))
        // Spent stays spent after the window closes too: the refusal says what happened.
        #expect(DeployGate.verdict(for: Self.target, among: [spent], at: Self.at(5000)).refusalCode == "deploy_consumed")
        // A fresh approval for the same rollout is a new request, and opens it again.
        let refiled = try DeployGateTests.refiled(try Self.approved(singleUse: true), minutesLater: 1)
        #expect(DeployGate.verdict(for: Self.target, among: [spent, refiled], at: Self.at(120)) == .approved(refiled))
    }

    @Test("a single-use approval yields its deploy token only with its rollout start")
    func singleUseTokens() throws {
        let request = try Self.approved(singleUse: true)
        let now = Self.at(90)
        let plain = #expect(throws: DomainError.self) {
            try CredentialRules.grant(.deployToken, for: request, to: Cast.alice.name, lifetime: 3600, at: now)
        }
        #expect(plain?.code == .invalidState)
        #expect(throws: DomainError.self) {
            try DeployGate.tokenGrant(of: Self.target, for: request, to: Self.tool, startingRollout: false, lifetime: 3600, at: now)
        }
        let started = try DeployGate.startRollout(of: Self.target, under: request, by: Self.tool, at: now).request
        let grant = try DeployGate.tokenGrant(of: Self.target, for: started, to: Self.tool, startingRollout: true, lifetime: 3600, at: now)
        // Deploy tooling takes the requester's token: the token names who asked, not the tool.
        #expect(grant.holder == Cast.alice.name)
        #expect(grant.validBefore == request.accessExpiresAt)
        // A person may take a token only for a request of their own.
        #expect(throws: DomainError.self) {
            try DeployGate.tokenGrant(of: Self.target, for: started, to: Self.bob, startingRollout: true, lifetime: 3600, at: now)
        }
        let change = try CredentialRules.issue(grant, of: started, serial: CredentialSerial(rawValue: 7)!, fingerprint: String(repeating: "a", count: 64), at: now, takenBy: Self.tool.auditActor)
        #expect(change.events.first?.actor == "machine:ci-payments")
    }

    @Test("an approval that is not single-use yields tokens without a start")
    func reusableTokens() throws {
        let request = try Self.approved(singleUse: false)
        let grant = try DeployGate.tokenGrant(of: Self.target, for: request, to: Self.tool, startingRollout: false, lifetime: 3600, at: Self.at(90))
        #expect(grant.holder == Cast.alice.name)
    }

    @Test("only a first rollout start may commit with a credential")
    func onlyStartsRollout() throws {
        let request = try Self.approved(singleUse: true)
        let started = try DeployGate.startRollout(of: Self.target, under: request, by: Self.tool, at: Self.at(90)).request
        #expect(DeployGate.onlyStartsRollout(started, from: request))
        #expect(!DeployGate.onlyStartsRollout(request, from: request), "no change is not a start")
        #expect(!DeployGate.onlyStartsRollout(started, from: started), "a second start changes nothing to record")
        let revoked = try RequestRules.apply(.revoke(Cast.alice, reason: "Changed my mind"), to: started, at: Self.at(95)).request
        #expect(!DeployGate.onlyStartsRollout(revoked, from: request), "a start with anything else is not only a start")
    }

    @Test("audit actors read back as the callers that wrote them")
    func callerRoundTrip() throws {
        for caller in [Self.tool, Self.alice] {
            #expect(try DeployCaller(auditActor: caller.auditActor) == caller)
        }
        for bad in ["machine:", "machine:Bad Name", "", "al ice"] {
            #expect(throws: DomainError.self) { try DeployCaller(auditActor: bad) }
        }
    }
}

extension DeployVerdict {
    var refusalCode: String? {
        if case .refused(let refusal) = self { return refusal.code }
        return nil
    }
}
