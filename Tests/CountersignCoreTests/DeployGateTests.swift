import Foundation
import Testing
@testable import CountersignCore

/// The gate's answer for `Fixture.deployDraft`'s target, asked `offset` seconds after creation.
struct GateCase: Sendable, CustomTestStringConvertible {
    let testDescription: String
    let starts: [Start]
    let offset: TimeInterval
    let expected: String

    init(_ description: String, _ starts: [Start], at offset: TimeInterval = 90, _ expected: String) {
        testDescription = description
        self.starts = starts
        self.offset = offset
        self.expected = expected
    }
}

@Suite("Deploy gate")
struct DeployGateTests {
    static var target: DeployTarget {
        guard case .deploy(let target) = Fixture.deployDraft.target else { preconditionFailure("the fixture is a deploy") }
        return target
    }

    static let table: [GateCase] = [
        GateCase("an approved request with its window open lets the rollout go", [.approved], "approved"),
        GateCase("nothing filed", [], "deploy_not_requested"),
        GateCase("still waiting for approvals", [.pending], "deploy_pending"),
        GateCase("partly approved is not approved", [.partlyApproved], "deploy_pending"),
        GateCase("a pending request past its lifetime has lapsed", [.pending], at: 3600, "deploy_expired"),
        GateCase("denied", [.denied], "deploy_denied"),
        GateCase("cancelled", [.cancelled], "deploy_cancelled"),
        GateCase("expired unanswered", [.expiredUnanswered], at: 4000, "deploy_expired"),
        GateCase("approved, then its window closed", [.expiredAfterAccess], at: 2000, "deploy_expired"),
        GateCase("approved, at the very end of its window, is closed", [.approved], at: 1860, "deploy_expired"),
        GateCase("approved, half a second before the end, is open", [.approved], at: 1859.5, "approved"),
        GateCase("revoked", [.revoked], at: 200, "deploy_revoked"),
        GateCase("an open approval stands beside a later denial of another request", [.approved, .denied], "approved"),
    ]

    @Test("the verdict for each history", arguments: table)
    func verdicts(_ gate: GateCase) throws {
        let requests = try gate.starts.enumerated().map { index, start in
            try Self.refiled(try start.request, minutesLater: index)
        }
        let verdict = DeployGate.verdict(for: Self.target, among: requests, at: Fixture.created.addingTimeInterval(gate.offset))
        switch verdict {
        case .approved: #expect(gate.expected == "approved")
        case .refused(let refusal): #expect(refusal.code == gate.expected)
        }
    }

    @Test("the latest request's refusal is what the tooling hears once no approval is open")
    func latestRefusal() throws {
        let lapsed = try Start.expiredAfterAccess.request
        let revoked = try Self.refiled(try Start.revoked.request, minutesLater: 1)
        let verdict = DeployGate.verdict(for: Self.target, among: [revoked, lapsed], at: Fixture.created.addingTimeInterval(4000))
        #expect(verdict == .refused(.revoked(by: Cast.alice.name, reason: "Done early")))
    }

    @Test("an approval for another commit, environment or service approves nothing")
    func exactTarget() throws {
        let approved = try Start.approved.request
        let now = Fixture.created.addingTimeInterval(90)
        let others = try [
            DeployTarget(service: "payments-api", environment: "production", commit: try ArtifactReference(String(repeating: "a", count: 40))),
            DeployTarget(service: "payments-api", environment: "staging", commit: Fixture.commit),
            DeployTarget(service: "payments-web", environment: "production", commit: Fixture.commit),
        ]
        for other in others {
            #expect(DeployGate.verdict(for: other, among: [approved], at: now) == .refused(.noRequest))
        }
    }

    /// `request` as if filed `minutesLater`, under an id of its own, its history unchanged.
    static func refiled(_ request: AccessRequest, minutesLater: Int) throws -> AccessRequest {
        guard minutesLater > 0 else { return request }
        return AccessRequest(
            restoring: try RequestID(String(Fixture.id.rawValue.dropLast()) + String(minutesLater)), requester: request.requester,
            target: request.target, reason: request.reason, ticket: request.ticket,
            createdAt: request.createdAt.addingTimeInterval(TimeInterval(60 * minutesLater)), ruleName: request.ruleName,
            requirement: request.requirement, certificateTerms: request.certificateTerms, singleUse: request.singleUse,
            pendingExpiresAt: request.pendingExpiresAt,
            accessDurationSeconds: request.accessDurationSeconds, state: request.state, updatedAt: request.updatedAt,
            approvals: request.approvals, denial: request.denial, accessExpiresAt: request.accessExpiresAt,
            closedBy: request.closedBy, closeReason: request.closeReason, rolloutStart: request.rolloutStart
        )
    }
}
