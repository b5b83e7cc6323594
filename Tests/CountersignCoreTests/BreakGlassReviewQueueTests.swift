import Foundation
import Testing
@testable import CountersignCore

/// Which grants wait on whose review and in what order, and who may end a grant while it is
/// open: the rules the reviewer pages show as lists and controls.
@Suite("Break-glass review queue and ending")
struct BreakGlassReviewQueueTests {
    static let now = BreakGlassRulesTests.now

    static func grant(host: String = "web-1.prod.internal", login: String = "deploy", to actor: Actor = Cast.mallory, at offset: TimeInterval = 0) throws -> AccessRequest {
        let ask = try BreakGlassAsk(host: host, login: login, incident: "INC-9", reason: "Checkout is down", durationSeconds: nil)
        let at = now.addingTimeInterval(offset)
        let admission = try BreakGlassRules.admit(ask, by: actor, under: BreakGlassRulesTests.rules, hasUsableKey: true, keyTouched: true, at: at)
        return try BreakGlassRules.grant(ask, admission, id: .random(), to: actor.name, link: nil, source: "s", at: at).request
    }

    struct AwaitCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let grant: @Sendable () throws -> AccessRequest
        let actor: Actor
        let awaits: Bool
    }

    @Test("a grant waits on the review of someone in its reviewers, never its user, once active and until reviewed", arguments: [
        AwaitCase(testDescription: "an active grant, an auditor", grant: { try grant() }, actor: Cast.audrey, awaits: true),
        AwaitCase(testDescription: "an ended grant, an auditor", grant: { try BreakGlassReviewTests.endedGrant() }, actor: Cast.audrey, awaits: true),
        AwaitCase(testDescription: "its own user, even as an auditor", grant: { try grant() }, actor: Actor(name: Cast.mallory.name, groups: Cast.mallory.groups.union(["auditors"])), awaits: false),
        AwaitCase(testDescription: "an admin who is no reviewer", grant: { try grant() }, actor: Cast.erin, awaits: false),
        AwaitCase(testDescription: "a grant still waiting on its agreement: nothing to review yet", grant: { try grant(host: "db-1.prod.internal", login: "postgres", to: Cast.bob) }, actor: Cast.audrey, awaits: false),
        AwaitCase(testDescription: "a reviewed grant", grant: {
            let grant = try BreakGlassReviewTests.endedGrant()
            let review = try BreakGlassReview(reviewer: Cast.audrey.name, groups: Cast.audrey.groups, verdict: .justified, notes: "", at: now.addingTimeInterval(3600), evidence: BreakGlassReviewTests.evidence)
            return try BreakGlassReviewRules.review(grant, with: review, reviewerActor: Cast.audrey, link: nil, source: "s").request
        }, actor: Cast.audrey, awaits: false),
    ])
    func awaits(_ row: AwaitCase) throws {
        #expect(BreakGlassReviewRules.awaitsReview(try row.grant(), by: row.actor) == row.awaits)
    }

    @Test("the queue holds only what waits on the reviewer, the longest overdue first, then those due soonest")
    func order() throws {
        let recent = try Self.grant(at: 7200)
        let oldest = try Self.grant(at: 0)
        let middle = try Self.grant(at: 3600)
        let own = try Self.grant(to: Actor(name: Cast.audrey.name, groups: ["sre", "auditors"]), at: 1800)
        let queue = BreakGlassReviewRules.awaitingReview([recent, own, oldest, middle], by: Cast.audrey)
        #expect(queue.map(\.id) == [oldest.id, middle.id, recent.id])
        let later = Self.now.addingTimeInterval(24 * 3600 + 5400)
        #expect(queue.map { BreakGlassReviewRules.isOverdue($0, at: later) } == [true, true, false])
    }

    struct CloserCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let actor: Actor
        let closer: BreakGlassRules.Closer?
    }

    @Test("who may end a grant, and in which capacity", arguments: [
        CloserCase(testDescription: "its user, whatever else they are", actor: Actor(name: Cast.mallory.name, groups: ["admins", "auditors"]), closer: .user),
        CloserCase(testDescription: "an admin", actor: Cast.erin, closer: .admin),
        CloserCase(testDescription: "one of its reviewers", actor: Cast.audrey, closer: .reviewer),
        CloserCase(testDescription: "anyone else", actor: Cast.bob, closer: nil),
    ])
    func closer(_ row: CloserCase) throws {
        #expect(BreakGlassRules.closer(row.actor, of: try Self.grant()) == row.closer)
    }

    @Test("a grant is open while it waits on its agreement or is active, until the deadline that ends it")
    func open() throws {
        let active = try Self.grant()
        #expect(BreakGlassRules.isOpen(active, at: Self.now) && !BreakGlassRules.isOpen(active, at: Self.now.addingTimeInterval(1800)))
        let awaiting = try Self.grant(host: "db-1.prod.internal", login: "postgres", to: Cast.bob)
        #expect(BreakGlassRules.isOpen(awaiting, at: Self.now))
        #expect(!BreakGlassRules.isOpen(awaiting, at: Self.now.addingTimeInterval(TimeInterval(BreakGlassRules.agreementWindowSeconds))))
        #expect(!BreakGlassRules.isOpen(try BreakGlassReviewTests.endedGrant(), at: Self.now))
        let ordinary = AccessRequest(
            id: .random(), requester: Cast.mallory.name, draft: try RequestDraft(target: .ssh(try SSHTarget(host: "web-1", login: "deploy", durationSeconds: 600)), reason: "r", ticket: "T-1"),
            createdAt: Self.now, ruleName: "r", requirement: .noneNeeded, pendingExpiresAt: Self.now.addingTimeInterval(600), accessDurationSeconds: 600
        )
        #expect(BreakGlassRules.closer(Cast.erin, of: ordinary) == nil, "an ordinary request is no grant to end")
    }
}
