import Foundation
import Testing
@testable import CountersignCore

/// How a test request reached its starting state: the real actions, applied in order from a
/// pending request created at `Fixture.created` that needs 1 from sre and 1 from payments,
/// expires unanswered after an hour and grants 30 minutes of access.
enum Start: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case pending
    /// bob (sre) approved at +60 s; the payments clause is still open.
    case partlyApproved
    /// bob then dave approved at +60 s: access until +1860 s.
    case approved
    /// bob denied at +60 s.
    case denied
    /// alice cancelled at +60 s.
    case cancelled
    /// nobody answered; expired at +3600 s.
    case expiredUnanswered
    /// approved at +60 s, access ran out at +1860 s.
    case expiredAfterAccess
    /// approved at +60 s, revoked by alice at +120 s.
    case revoked
    /// like pending, under a rule that demands a hardware key.
    case pendingHardwareKey

    static let terminal: [Start] = [.denied, .cancelled, .expiredUnanswered, .expiredAfterAccess, .revoked]

    var testDescription: String { rawValue }

    var steps: [(RequestAction, TimeInterval)] {
        switch self {
        case .pending, .pendingHardwareKey: []
        case .partlyApproved: [(.approve(Cast.bob, method: .session), 60)]
        case .approved: [(.approve(Cast.bob, method: .session), 60), (.approve(Cast.dave, method: .session), 60)]
        case .denied: [(.deny(Cast.bob, reason: "Not during the freeze"), 60)]
        case .cancelled: [(.cancel(Cast.alice), 60)]
        case .expiredUnanswered: [(.expire, 3600)]
        case .expiredAfterAccess: Start.approved.steps + [(.expire, 1860)]
        case .revoked: Start.approved.steps + [(.revoke(Cast.alice, reason: "Done early"), 120)]
        }
    }

    /// Throws (rather than traps) if a step is refused, so a broken rule fails the tests that
    /// use it instead of the whole run.
    var request: AccessRequest {
        get throws(DomainError) {
            var request = Fixture.pendingRequest(hardwareKey: self == .pendingHardwareKey)
            for (action, offset) in steps {
                request = try RequestRules.apply(action, to: request, at: Fixture.created.addingTimeInterval(offset)).request
            }
            return request
        }
    }
}

struct TransitionCase: Sendable, CustomTestStringConvertible {
    enum Outcome: Sendable, Equatable {
        case moves(to: RequestState)
        case refused(DomainError.Code)
    }

    let name: String
    let start: Start
    let action: RequestAction
    let offset: TimeInterval
    let outcome: Outcome

    init(_ name: String, _ start: Start, _ action: RequestAction, at offset: TimeInterval = 90, _ outcome: Outcome) {
        self.name = name
        self.start = start
        self.action = action
        self.offset = offset
        self.outcome = outcome
    }

    var testDescription: String { name }
}

@Suite("Request rules")
struct RequestRulesTests {
    static func approveBy(_ actor: Actor) -> RequestAction { .approve(actor, method: .session) }
    static func approveWithKey(_ actor: Actor) -> RequestAction { .approveWithHardwareKey(actor, Fixture.evidence) }

    static let table: [TransitionCase] = [
        // Approving.
        TransitionCase("the requester cannot approve their own request, though she is in sre",
                       .pending, approveBy(Cast.alice), .refused(.selfApproval)),
        TransitionCase("the requester cannot add the missing approval herself",
                       .partlyApproved, approveBy(Cast.alice), .refused(.selfApproval)),
        TransitionCase("someone in no reviewing group is not eligible",
                       .pending, approveBy(Cast.mallory), .refused(.notEligible)),
        TransitionCase("an admin is not a reviewer by virtue of being admin",
                       .pending, approveBy(Cast.erin), .refused(.notEligible)),
        TransitionCase("someone in no group at all is not eligible",
                       .pending, approveBy(Cast.nobody), .refused(.notEligible)),
        TransitionCase("a first approval leaves the request pending",
                       .pending, approveBy(Cast.bob), .moves(to: .pending)),
        TransitionCase("an approver cannot approve twice",
                       .partlyApproved, approveBy(Cast.bob), .refused(.alreadyApproved)),
        TransitionCase("a second approval from the same clause's group leaves it pending",
                       .partlyApproved, approveBy(Cast.carol), .moves(to: .pending)),
        TransitionCase("the approval that meets the last clause approves",
                       .partlyApproved, approveBy(Cast.dave), .moves(to: .approved)),
        TransitionCase("an approved request takes no more approvals",
                       .approved, approveBy(Cast.carol), .refused(.invalidState)),
        TransitionCase("a rule demanding a hardware key refuses a session approval",
                       .pendingHardwareKey, approveBy(Cast.bob), .refused(.hardwareKeyRequired)),
        TransitionCase("a hardware-key rule still refuses the requester as self-approval first",
                       .pendingHardwareKey, approveBy(Cast.alice), .refused(.selfApproval)),
        TransitionCase("a hardware-key rule still refuses the ineligible as such",
                       .pendingHardwareKey, approveBy(Cast.mallory), .refused(.notEligible)),
        TransitionCase("a rule demanding a hardware key accepts a hardware-key approval",
                       .pendingHardwareKey, approveWithKey(Cast.bob), .moves(to: .pending)),
        TransitionCase("a hardware-key approval is accepted where a session one would be too",
                       .pending, approveWithKey(Cast.bob), .moves(to: .pending)),
        TransitionCase("a hardware key never lets the requester approve",
                       .pendingHardwareKey, approveWithKey(Cast.alice), .refused(.selfApproval)),
        TransitionCase("a hardware key does not make the ineligible eligible",
                       .pendingHardwareKey, approveWithKey(Cast.mallory), .refused(.notEligible)),
        TransitionCase("a session approval cannot claim the hardware-key method without evidence",
                       .pendingHardwareKey, .approve(Cast.bob, method: .hardwareKey), .refused(.hardwareKeyRequired)),
        TransitionCase("an approval a millisecond before the pending deadline counts",
                       .partlyApproved, approveBy(Cast.dave), at: 3599.999, .moves(to: .approved)),
        TransitionCase("an approval at the pending deadline is refused as expired",
                       .partlyApproved, approveBy(Cast.dave), at: 3600, .refused(.requestExpired)),
        TransitionCase("an approval long after the pending deadline is refused as expired",
                       .pending, approveBy(Cast.bob), at: 86_400, .refused(.requestExpired)),
        // Denying.
        TransitionCase("an eligible reviewer denies",
                       .pending, .deny(Cast.bob, reason: "Not during the freeze"), .moves(to: .denied)),
        TransitionCase("an eligible reviewer denies a partly approved request",
                       .partlyApproved, .deny(Cast.dave, reason: "Wrong commit"), .moves(to: .denied)),
        TransitionCase("someone outside the reviewing groups cannot deny",
                       .pending, .deny(Cast.mallory, reason: "No"), .refused(.notEligible)),
        TransitionCase("an admin outside the reviewing groups cannot deny",
                       .pending, .deny(Cast.erin, reason: "No"), .refused(.notEligible)),
        TransitionCase("the requester cannot deny her own request",
                       .pending, .deny(Cast.alice, reason: "Changed my mind"), .refused(.forbidden)),
        TransitionCase("a denial needs a reason",
                       .pending, .deny(Cast.bob, reason: ""), .refused(.invalidField)),
        TransitionCase("a denial's reason cannot be only whitespace",
                       .pending, .deny(Cast.bob, reason: " \t "), .refused(.invalidField)),
        TransitionCase("a denial's reason cannot carry terminal escapes",
                       .pending, .deny(Cast.bob, reason: "\u{1b}[2J"), .refused(.invalidField)),
        TransitionCase("an approved request cannot be denied",
                       .approved, .deny(Cast.carol, reason: "Too late"), .refused(.invalidState)),
        TransitionCase("a denial after the pending deadline is refused as expired",
                       .pending, .deny(Cast.bob, reason: "No"), at: 3600, .refused(.requestExpired)),
        // Cancelling.
        TransitionCase("the requester cancels a pending request",
                       .pending, .cancel(Cast.alice), .moves(to: .cancelled)),
        TransitionCase("the requester cancels a partly approved request",
                       .partlyApproved, .cancel(Cast.alice), .moves(to: .cancelled)),
        TransitionCase("a reviewer cannot cancel someone else's request",
                       .pending, .cancel(Cast.bob), .refused(.forbidden)),
        TransitionCase("an admin cannot cancel someone else's request",
                       .pending, .cancel(Cast.erin), .refused(.forbidden)),
        TransitionCase("an approved request cannot be cancelled (it is revoked instead)",
                       .approved, .cancel(Cast.alice), .refused(.invalidState)),
        TransitionCase("a cancel after the pending deadline is refused as expired",
                       .pending, .cancel(Cast.alice), at: 3600, .refused(.requestExpired)),
        // Revoking.
        TransitionCase("the requester revokes her approved request",
                       .approved, .revoke(Cast.alice, reason: "Done early"), .moves(to: .revoked)),
        TransitionCase("an admin revokes an approved request",
                       .approved, .revoke(Cast.erin, reason: "Incident over"), .moves(to: .revoked)),
        TransitionCase("an approver cannot revoke",
                       .approved, .revoke(Cast.bob, reason: "Oops"), .refused(.forbidden)),
        TransitionCase("a stranger cannot revoke",
                       .approved, .revoke(Cast.mallory, reason: "Oops"), .refused(.forbidden)),
        TransitionCase("a pending request cannot be revoked",
                       .pending, .revoke(Cast.alice, reason: "Not yet"), .refused(.invalidState)),
        TransitionCase("a pending request cannot be revoked by an admin either",
                       .partlyApproved, .revoke(Cast.erin, reason: "Not yet"), .refused(.invalidState)),
        TransitionCase("a revocation needs a reason",
                       .approved, .revoke(Cast.erin, reason: "   "), .refused(.invalidField)),
        TransitionCase("a revocation's reason cannot forge lines",
                       .approved, .revoke(Cast.erin, reason: "ok\nrevoked-by: bob"), .refused(.invalidField)),
        TransitionCase("a revocation after access ran out is refused as expired",
                       .approved, .revoke(Cast.alice, reason: "Done"), at: 1860, .refused(.requestExpired)),
        // Expiry.
        TransitionCase("a pending request does not expire before its deadline",
                       .pending, .expire, at: 3599.999, .refused(.invalidState)),
        TransitionCase("a pending request expires at its deadline",
                       .pending, .expire, at: 3600, .moves(to: .expired)),
        TransitionCase("a partly approved request expires after its deadline",
                       .partlyApproved, .expire, at: 7200, .moves(to: .expired)),
        TransitionCase("an approved request does not expire before its access ends",
                       .approved, .expire, at: 1859.999, .refused(.invalidState)),
        TransitionCase("an approved request expires when its access ends",
                       .approved, .expire, at: 1860, .moves(to: .expired)),
    ]

    @Test("an action moves a request or is refused with a code", arguments: table)
    func transition(_ row: TransitionCase) throws {
        let before = try row.start.request
        let now = Fixture.created.addingTimeInterval(row.offset)
        switch row.outcome {
        case .moves(let state):
            guard let change = Self.apply(row.action, to: before, at: now) else { return }
            #expect(change.request.state == state)
            #expect(change.request.updatedAt == now.truncatedToMilliseconds)
            #expect(!change.events.isEmpty)
            if state != before.state {
                #expect(before.state.canMove(to: state))
            }
        case .refused(let code):
            let error = refusal { () throws(DomainError) in try RequestRules.apply(row.action, to: before, at: now) }
            #expect(error?.code == code, "\(error.map(String.init(describing:)) ?? "no error")")
        }
    }

    /// Every action on a terminal request, by an actor who could otherwise take it, early or late.
    static let actionsOnClosedRequests: [RequestAction] = [
        .approve(Cast.carol, method: .session),
        .approve(Cast.dave, method: .session),
        .deny(Cast.carol, reason: "No"),
        .cancel(Cast.alice),
        .revoke(Cast.alice, reason: "Stop"),
        .revoke(Cast.erin, reason: "Stop"),
        .expire,
    ]

    @Test("a terminal request never changes", arguments: Start.terminal, actionsOnClosedRequests)
    func terminalStatesAreFinal(start: Start, action: RequestAction) throws {
        let request = try start.request
        #expect(request.state.isTerminal)
        for offset: TimeInterval in [3601, 100_000] {
            let error = refusal { () throws(DomainError) in
                try RequestRules.apply(action, to: request, at: Fixture.created.addingTimeInterval(offset))
            }
            #expect(error?.code == .invalidState)
        }
    }

    @Test("a hardware-key approval keeps its evidence and method")
    func evidenceIsKept() throws {
        let change = try RequestRules.apply(Self.approveWithKey(Cast.bob), to: try Start.pendingHardwareKey.request, at: Fixture.created.addingTimeInterval(60))
        #expect(change.request.approvals.last?.method == .hardwareKey)
        #expect(change.request.approvals.last?.evidence == Fixture.evidence)
        #expect(change.events.first?.details["method"] == "hardware_key")
    }

    @Test("the requester is refused as self-approval whatever the state", arguments: Start.allCases)
    func selfApprovalAlways(start: Start) throws {
        let request = try start.request
        let error = refusal { () throws(DomainError) in
            try RequestRules.apply(.approve(Cast.alice, method: .session), to: request, at: Fixture.created.addingTimeInterval(90))
        }
        #expect(error?.code == .selfApproval)
    }

    @Test("a requester who is the only member of the approving group can never get approval from herself")
    func soleMemberCannotSelfApprove() {
        let request = AccessRequest(
            id: Fixture.id, requester: Cast.alice.name, draft: Fixture.deployDraft, createdAt: Fixture.created,
            ruleName: "tiny-team", requirement: requirement([clause(1, "sre")]),
            pendingExpiresAt: Fixture.created.addingTimeInterval(3600), accessDurationSeconds: 600
        )
        let admin = Actor(name: Cast.alice.name, groups: ["sre", "admins", "auditors", "payments"])
        let error = refusal { () throws(DomainError) in
            try RequestRules.apply(.approve(admin, method: .session), to: request, at: Fixture.created)
        }
        #expect(error?.code == .selfApproval)
        #expect(!RequestRules.mayReview(request, actor: admin))
    }

    @Test("the approval that completes the requirement opens access for the rule's duration from now")
    func approvalOpensAccess() throws {
        let clock = ManualClock(Fixture.created)
        var request = try Start.pending.request
        clock.advance(by: 61.25)
        request = try RequestRules.apply(.approve(Cast.bob, method: .session), to: request, at: clock.now()).request
        #expect(request.accessExpiresAt == nil)
        clock.advance(by: 100.5)
        request = try RequestRules.apply(.approve(Cast.dave, method: .session), to: request, at: clock.now()).request
        #expect(request.state == .approved)
        #expect(request.accessExpiresAt == Fixture.created.addingTimeInterval(161.75 + 1800))
        #expect(request.approvals == [
            Approval(approver: Cast.bob.name, groups: ["sre"], at: Fixture.created.addingTimeInterval(61.25), method: .session),
            Approval(approver: Cast.dave.name, groups: ["payments"], at: Fixture.created.addingTimeInterval(161.75), method: .session),
        ])
        #expect(request.progress.isSatisfied)

        let end = try #require(request.accessExpiresAt)
        clock.set(Date(millisecondsSinceEpoch: end.millisecondsSinceEpoch - 1))
        #expect(!RequestRules.isDueToExpire(request, at: clock.now()))
        clock.set(end)
        #expect(RequestRules.isDueToExpire(request, at: clock.now()))
        #expect(try RequestRules.apply(.expire, to: request, at: clock.now()).request.state == .expired)
    }

    @Test("a denial records who denied, why and when")
    func denialRecorded() throws {
        let now = Fixture.created.addingTimeInterval(42)
        let denied = try RequestRules.apply(.deny(Cast.dave, reason: "Wrong commit"), to: try Start.partlyApproved.request, at: now).request
        #expect(denied.denial == Denial(by: Cast.dave.name, reason: "Wrong commit", at: now))
        #expect(denied.approvals.map(\.approver) == [Cast.bob.name])
        #expect(denied.accessExpiresAt == nil)
    }

    @Test("cancelling and revoking record who closed the request")
    func closure() throws {
        let cancelled = try Start.cancelled.request
        #expect(cancelled.closedBy == Cast.alice.name)
        #expect(cancelled.closeReason == nil)
        let revoked = try RequestRules.apply(
            .revoke(Cast.erin, reason: "Incident over"), to: try Start.approved.request, at: Fixture.created.addingTimeInterval(300)
        ).request
        #expect(revoked.closedBy == Cast.erin.name)
        #expect(revoked.closeReason == "Incident over")
        #expect(revoked.accessExpiresAt == Fixture.created.addingTimeInterval(1860))
    }

    @Test(
        "deadlines fall due exactly when reached",
        arguments: [
            (Start.pending, 3599.999, false), (.pending, 3600, true), (.partlyApproved, 3600, true),
            (.approved, 1859.999, false), (.approved, 1860, true), (.approved, 3600, true),
            (.denied, 100_000, false), (.cancelled, 100_000, false), (.expiredUnanswered, 100_000, false),
            (.expiredAfterAccess, 100_000, false), (.revoked, 100_000, false),
        ]
    )
    func dueToExpire(start: Start, offset: TimeInterval, due: Bool) throws {
        #expect(RequestRules.isDueToExpire(try start.request, at: Fixture.created.addingTimeInterval(offset)) == due)
    }

    @Test(
        "a request is visible to those involved and to overseers only",
        arguments: [
            (Cast.alice, true), (Cast.bob, true), (Cast.dave, true), (Cast.erin, true), (Cast.audrey, true),
            (Cast.mallory, false), (Cast.nobody, false),
            (Actor(name: user("bob"), groups: []), true),
        ]
    )
    func visibility(actor: Actor, visible: Bool) throws {
        // bob approved while in sre; he still sees the request after leaving the group.
        #expect(RequestRules.mayView(try Start.partlyApproved.request, actor: actor) == visible)
    }

    @Test(
        "only members of a reviewing group other than the requester may review",
        arguments: [(Cast.alice, false), (Cast.bob, true), (Cast.carol, true), (Cast.dave, true), (Cast.erin, false), (Cast.mallory, false)]
    )
    func reviewers(actor: Actor, mayReview: Bool) throws {
        #expect(RequestRules.mayReview(try Start.pending.request, actor: actor) == mayReview)
    }

    private static func apply(_ action: RequestAction, to request: AccessRequest, at now: Date) -> RequestChange? {
        do {
            return try RequestRules.apply(action, to: request, at: now)
        } catch {
            Issue.record("unexpected refusal: \(error)")
            return nil
        }
    }
}
