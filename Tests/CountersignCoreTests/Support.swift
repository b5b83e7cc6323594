import Foundation
import Testing
@testable import CountersignCore

// Shared fixtures. Every time is a fixed instant (or comes from a ManualClock); nothing sleeps.

/// Runs `body` and returns the domain error it threw, or nil when it succeeded.
func refusal<T>(_ body: () throws(DomainError) -> T) -> DomainError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

func user(_ name: String) -> Username {
    // Fixture names are valid by construction; a typo here is a bug in the test.
    try! Username(name)
}

func clause(_ count: Int, _ group: String) -> ApprovalClause {
    try! ApprovalClause(count: count, group: group)
}

func requirement(_ clauses: [ApprovalClause], hardwareKey: Bool = false) -> ApprovalRequirement {
    try! ApprovalRequirement(clauses: clauses, hardwareKeyRequired: hardwareKey)
}

func approval(_ name: String, _ groups: Set<String>, at: Date = Fixture.created) -> Approval {
    Approval(approver: user(name), groups: groups, at: at, method: .session)
}

/// A deterministic generator (SplitMix64) so random ids are reproducible in tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The cast of the request tests. alice files requests and is herself in sre, so any "no self
/// approval" outcome comes from the rule, not from alice lacking a group.
enum Cast {
    static let alice = Actor(name: user("alice"), groups: ["engineers", "sre"])
    static let bob = Actor(name: user("bob"), groups: ["sre"])
    static let carol = Actor(name: user("carol"), groups: ["sre"])
    static let dave = Actor(name: user("dave"), groups: ["payments"])
    static let erin = Actor(name: user("erin"), groups: ["admins"])
    static let mallory = Actor(name: user("mallory"), groups: ["engineers"])
    static let nobody = Actor(name: user("nobody"), groups: [])
    static let audrey = Actor(name: user("audrey"), groups: ["auditors"])
}

enum Fixture {
    /// 2027-01-15T08:00:00Z: the ManualClock's default start.
    static let created = ManualClock().now()
    static let pendingLifetime: TimeInterval = 3600
    static let accessSeconds = 1800
    static let id = try! RequestID("0123456789abcdefghjk")
    /// Evidence as the store would pass it after verifying it; the rules only carry it.
    static let evidence = HardwareKeyEvidence(
        credentialID: [1, 2, 3], publicKey: [0xA4], authenticatorData: [UInt8](repeating: 5, count: 37),
        clientDataJSON: Array("{}".utf8), signature: [6, 7], nonce: [UInt8](repeating: 8, count: 32)
    )
    static let commit = try! ArtifactReference("4b825dc642cb6eb9a060e54bf8d69288fbee4904")

    static let deployDraft = try! RequestDraft(
        target: .deploy(try! DeployTarget(service: "payments-api", environment: "production", commit: commit)),
        reason: "Roll out the double-charge fix",
        ticket: "INC-4711"
    )

    /// A pending deploy request by alice needing 1 from sre and 1 from payments.
    static func pendingRequest(hardwareKey: Bool = false, singleUse: Bool = false) -> AccessRequest {
        AccessRequest(
            id: id, requester: Cast.alice.name, draft: deployDraft, createdAt: created,
            ruleName: "prod-deploy",
            requirement: requirement([clause(1, "sre"), clause(1, "payments")], hardwareKey: hardwareKey),
            singleUse: singleUse, pendingExpiresAt: created.addingTimeInterval(pendingLifetime),
            accessDurationSeconds: accessSeconds
        )
    }
}
