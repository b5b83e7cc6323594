import Foundation
import Testing
@testable import CountersignCore

/// Breaking glass: who may, where, for which incident, for how long, with which proof, and what
/// it pages; under an injected time.
@Suite("Break-glass rules")
struct BreakGlassRulesTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let pagerDuty = try! ChannelName("oncall-pagerduty")
    static let slack = try! ChannelName("security-slack")

    /// Databases as postgres: on-call SREs, 15 minutes at most, a second SRE agrees, a key always;
    /// any production host: on-call engineers, 30 minutes, a key when they have one.
    static let rules: [BreakGlassRule] = [
        try! BreakGlassRule(
            name: "database-break-glass", host: try! Glob("db-*.prod.internal"), login: try! Glob("postgres"), onCall: ["sre"],
            maximumDurationSeconds: 900, incidentPattern: try! TicketPattern("^INC-[0-9]+$"), agreement: try! ApprovalClause(count: 1, group: "sre"),
            keyTouch: .always, channels: [pagerDuty, slack]
        ),
        try! BreakGlassRule(
            name: "production-break-glass", host: try! Glob("*.PROD.internal"), login: try! Glob("*"), onCall: ["engineers", "sre"],
            incidentPattern: try! TicketPattern("^INC-[0-9]+$"), channels: [pagerDuty]
        ),
    ]

    static func ask(host: String = "web-1.prod.internal", login: String = "deploy", incident: String = "INC-123", minutes: Int? = nil) throws -> BreakGlassAsk {
        try BreakGlassAsk(host: host, login: login, incident: incident, reason: "Checkout is down; restarting the payment worker", durationSeconds: minutes.map { $0 * 60 })
    }

    enum Expected: Sendable, Equatable {
        case admitted(String)
        case refused(BreakGlassRefusal.Code)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let ask: BreakGlassAsk
        let actor: Actor
        var hasKey = false
        var touched = false
        /// The rule that admits it, or the refusal.
        let expected: Expected
        var pagedOnRefusal = true
    }

    static let cases: [Case] = [
        Case(testDescription: "an on-call engineer without a key, on a production host", ask: try! ask(), actor: Cast.mallory, expected: .admitted("production-break-glass")),
        Case(testDescription: "host letter case and a trailing dot change nothing", ask: try! ask(host: "WEB-1.Prod.Internal."), actor: Cast.mallory, expected: .admitted("production-break-glass")),
        Case(testDescription: "a user with an enrolled key must touch it", ask: try! ask(), actor: Cast.mallory, hasKey: true, expected: .refused(.keyTouchRequired)),
        Case(testDescription: "and with the touch, is in", ask: try! ask(), actor: Cast.mallory, hasKey: true, touched: true, expected: .admitted("production-break-glass")),
        Case(testDescription: "the database rule comes first and always takes a key", ask: try! ask(host: "db-1.prod.internal", login: "postgres"), actor: Cast.bob, expected: .refused(.keyTouchRequired)),
        Case(testDescription: "the database rule with a touch", ask: try! ask(host: "db-1.prod.internal", login: "postgres"), actor: Cast.bob, hasKey: true, touched: true, expected: .admitted("database-break-glass")),
        Case(testDescription: "an engineer outside the database rule's on-call", ask: try! ask(host: "db-1.prod.internal", login: "postgres"), actor: Cast.mallory, hasKey: true, touched: true, expected: .refused(.notOnCall)),
        Case(testDescription: "another login on a database host falls to the production rule", ask: try! ask(host: "db-1.prod.internal", login: "deploy"), actor: Cast.mallory, expected: .admitted("production-break-glass")),
        Case(testDescription: "someone in no on-call group", ask: try! ask(), actor: Cast.dave, expected: .refused(.notOnCall)),
        Case(testDescription: "an admin is not on call by being an admin", ask: try! ask(), actor: Cast.erin, expected: .refused(.notOnCall)),
        Case(testDescription: "a host no rule covers: refused and not paged (no rule says where)", ask: try! ask(host: "web-1.staging.internal"), actor: Cast.mallory, expected: .refused(.noRule), pagedOnRefusal: false),
        Case(testDescription: "an incident reference of another form", ask: try! ask(incident: "CHG-9"), actor: Cast.mallory, expected: .refused(.incidentMismatch)),
        Case(testDescription: "an incident reference with more around it", ask: try! ask(incident: "INC-12 please"), actor: Cast.mallory, expected: .refused(.incidentMismatch)),
        Case(testDescription: "longer than the rule allows", ask: try! ask(minutes: 31), actor: Cast.mallory, expected: .refused(.tooLong)),
        Case(testDescription: "exactly as long as the rule allows", ask: try! ask(minutes: 30), actor: Cast.mallory, expected: .admitted("production-break-glass")),
    ]

    @Test("admission", arguments: cases)
    func admission(_ row: Case) {
        do {
            let admission = try BreakGlassRules.admit(row.ask, by: row.actor, under: Self.rules, hasUsableKey: row.hasKey, keyTouched: row.touched, at: Self.now)
            #expect(row.expected == .admitted(admission.rule.name), "admitted by \(admission.rule.name)")
            #expect(admission.expiresAt == Self.now.addingTimeInterval(TimeInterval(admission.durationSeconds)))
            #expect(admission.keyTouched == row.touched)
        } catch {
            #expect(row.expected == .refused(error.code), "refused: \(error)")
            #expect(error.isPaged == row.pagedOnRefusal)
        }
    }

    @Test("without a duration the rule's longest is granted; the database rule needs a second SRE's agreement")
    func terms() throws {
        let production = try BreakGlassRules.admit(try Self.ask(), by: Cast.mallory, under: Self.rules, hasUsableKey: false, keyTouched: false, at: Self.now)
        #expect(production.durationSeconds == 1800 && production.agreement == nil)
        let database = try BreakGlassRules.admit(try Self.ask(host: "db-1.prod.internal", login: "postgres"), by: Cast.bob, under: Self.rules, hasUsableKey: true, keyTouched: true, at: Self.now)
        #expect(database.durationSeconds == 900 && database.agreement?.count == 1 && database.agreement?.group == "sre")
    }

    @Test("a grant pages every channel of its rule with who, where, which incident, why and until when; the resolve closes the same incident")
    func pages() throws {
        let rule = Self.rules[0]
        let ask = try Self.ask(host: "db-1.prod.internal", login: "postgres")
        let grant = RequestID.random()
        let facts = BreakGlassRules.GrantFacts(grant: grant, user: Cast.bob.name, ask: ask, expiresAt: Self.now.addingTimeInterval(900), link: URL(string: "https://countersign.example.com/requests/\(grant)"))
        let pages = BreakGlassRules.pages(for: facts, on: rule, source: "https://countersign.example.com", at: Self.now)
        #expect(pages.map(\.channel) == [Self.pagerDuty, Self.slack])
        for page in pages {
            let notice = page.notice
            #expect(notice.action == .trigger && notice.severity == .critical && notice.dedupKey == grant.rawValue && notice.eventClass == "break-glass")
            #expect(notice.summary.contains("bob") && notice.summary.contains("postgres@db-1.prod.internal") && notice.summary.contains("INC-123"))
            #expect(notice.component == "db-1.prod.internal" && notice.group == "postgres" && notice.link == facts.link)
            #expect(notice.details["user"] == "bob" && notice.details["incident"] == "INC-123" && notice.details["reason"] == ask.reason)
            #expect(notice.details["expires_at"] == "2027-01-15T08:15:00Z" || notice.details["expires_at"] == ISO8601DateFormatter().string(from: Self.now.addingTimeInterval(900)))
            #expect(page.state == .pending && page.nextAttemptAt == Self.now)
        }
        let resolves = BreakGlassRules.resolves(for: facts, on: rule, endedBy: "erin", source: "s", at: Self.now.addingTimeInterval(60))
        #expect(resolves.map(\.notice.action) == [.resolve, .resolve] && resolves.allSatisfy { $0.notice.dedupKey == grant.rawValue })
        #expect(resolves.first?.notice.details["ended_by"] == "erin")
    }

    @Test("a refused attempt under a rule is paged on that rule's channels, naming the refusal; one no rule covers pages nothing")
    func attempts() throws {
        let ask = try Self.ask(host: "db-1.prod.internal", login: "postgres")
        let refusal: BreakGlassRefusal
        do {
            _ = try BreakGlassRules.admit(ask, by: Cast.mallory, under: Self.rules, hasUsableKey: false, keyTouched: false, at: Self.now)
            Issue.record("mallory broke glass on the database")
            return
        } catch {
            refusal = error
        }
        let pages = BreakGlassRules.attemptPages(for: refusal, ask: ask, by: Cast.mallory.name, source: "s", at: Self.now)
        #expect(pages.map(\.channel) == [Self.pagerDuty, Self.slack])
        #expect(pages.allSatisfy { $0.notice.details["refusal"] == "break_glass_not_on_call" && $0.notice.details["user"] == "mallory" && $0.notice.severity == .error })
        #expect(Set(pages.map(\.notice.dedupKey)).count == 1, "one attempt, one incident at the receiver")
        let unruled = BreakGlassRefusal(.noRule, "none", rule: nil)
        #expect(BreakGlassRules.attemptPages(for: unruled, ask: ask, by: Cast.mallory.name, source: "s", at: Self.now).isEmpty)
    }

    @Test("rules and asks refuse what cannot be right, by name")
    func bounds() throws {
        let pattern = try TicketPattern("^INC-[0-9]+$")
        let glob = try Glob("*")
        let refusedRules: [() throws -> BreakGlassRule] = [
            { try BreakGlassRule(name: "r", host: glob, login: glob, onCall: [], incidentPattern: pattern, channels: [Self.pagerDuty]) },
            { try BreakGlassRule(name: "r", host: glob, login: glob, onCall: ["*"], incidentPattern: pattern, channels: [Self.pagerDuty]) },
            { try BreakGlassRule(name: "r", host: glob, login: glob, onCall: ["sre"], maximumDurationSeconds: 4 * 3600 + 1, incidentPattern: pattern, channels: [Self.pagerDuty]) },
            { try BreakGlassRule(name: "r", host: glob, login: glob, onCall: ["sre"], incidentPattern: pattern, channels: []) },
            { try BreakGlassRule(name: "r", host: glob, login: glob, onCall: ["sre"], incidentPattern: pattern, channels: [Self.pagerDuty, Self.pagerDuty]) },
            { try BreakGlassRule(name: "r", host: glob, login: glob, onCall: ["sre"], incidentPattern: pattern, channels: [Self.pagerDuty], reviewWindowSeconds: 60) },
            { try BreakGlassRule(name: "r", host: glob, login: glob, onCall: ["sre"], incidentPattern: pattern, channels: [Self.pagerDuty], reviewers: []) },
            { try BreakGlassRule(name: "r", host: glob, login: glob, onCall: ["sre"], incidentPattern: pattern, channels: [Self.pagerDuty], reviewers: ["*"]) },
            { try BreakGlassRule(name: "r", host: try Glob("db_1.*"), login: glob, onCall: ["sre"], incidentPattern: pattern, channels: [Self.pagerDuty]) },
        ]
        for make in refusedRules {
            #expect(throws: DomainError.self) { try make() }
        }
        let refusedAsks: [() throws -> BreakGlassAsk] = [
            { try BreakGlassAsk(host: "127.1", login: "root", incident: "INC-1", reason: "r") },
            { try BreakGlassAsk(host: "h.internal", login: "ro ot", incident: "INC-1", reason: "r") },
            { try BreakGlassAsk(host: "h.internal", login: "root", incident: "", reason: "r") },
            { try BreakGlassAsk(host: "h.internal", login: "root", incident: "INC-1\u{202E}", reason: "r") },
            { try BreakGlassAsk(host: "h.internal", login: "root", incident: "INC-1", reason: "\u{200B}") },
            { try BreakGlassAsk(host: "h.internal", login: "root", incident: "INC-1", reason: String(repeating: "r", count: 1025)) },
            { try BreakGlassAsk(host: "h.internal", login: "root", incident: "INC-1", reason: "r", durationSeconds: 59) },
            { try BreakGlassAsk(host: "h.internal", login: "root", incident: "INC-1", reason: "r", durationSeconds: 4 * 3600 + 1) },
        ]
        for make in refusedAsks {
            #expect(throws: DomainError.self) { try make() }
        }
    }
}

/// The review after the fact: by whom, with what, by when, and the escalation of an overdue one.
@Suite("Break-glass reviews")
struct BreakGlassReviewTests {
    static let evidence = HardwareKeyEvidence(credentialID: [1], publicKey: [2], authenticatorData: [3], clientDataJSON: [4], signature: [5], nonce: [6])

    struct ReviewerCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let actor: Actor
        let reviewers: Set<String>
        let refusal: DomainError.Code?
    }

    static let reviewers: [ReviewerCase] = [
        ReviewerCase(testDescription: "an auditor", actor: Cast.audrey, reviewers: BreakGlassReviewRules.defaultReviewers, refusal: nil),
        ReviewerCase(testDescription: "the grant's own user, even in the reviewing group", actor: Actor(name: Cast.bob.name, groups: ["auditors", "sre"]), reviewers: BreakGlassReviewRules.defaultReviewers, refusal: .selfApproval),
        ReviewerCase(testDescription: "an admin who is not a reviewer", actor: Cast.erin, reviewers: BreakGlassReviewRules.defaultReviewers, refusal: .notEligible),
        ReviewerCase(testDescription: "another SRE where the policy names SREs as reviewers", actor: Cast.carol, reviewers: ["sre"], refusal: nil),
    ]

    @Test("reviewers", arguments: reviewers)
    func reviewer(_ row: ReviewerCase) {
        do {
            try BreakGlassReviewRules.mayReview(grantOf: Cast.bob.name, actor: row.actor, reviewers: row.reviewers)
            #expect(row.refusal == nil)
        } catch {
            #expect(row.refusal == error.code)
        }
    }

    @Test("an unjustified verdict says why; notes are bounded and read as a reviewer reads them")
    func verdicts() throws {
        let now = BreakGlassRulesTests.now
        _ = try BreakGlassReview(reviewer: Cast.audrey.name, groups: Cast.audrey.groups, verdict: .justified, notes: "", at: now, evidence: Self.evidence)
        #expect(throws: DomainError.self) { try BreakGlassReview(reviewer: Cast.audrey.name, groups: [], verdict: .unjustified, notes: " ", at: now, evidence: Self.evidence) }
        #expect(throws: DomainError.self) { try BreakGlassReview(reviewer: Cast.audrey.name, groups: [], verdict: .justified, notes: "fine\u{202E}", at: now, evidence: Self.evidence) }
        #expect(throws: DomainError.self) { try BreakGlassReview(reviewer: Cast.audrey.name, groups: [], verdict: .justified, notes: String(repeating: "n", count: 4097), at: now, evidence: Self.evidence) }
    }

    @Test("a grant is overdue once its window has passed unreviewed, and escalates once per grant on its rule's channels")
    func overdue() throws {
        let rule = BreakGlassRulesTests.rules[1]
        let granted = BreakGlassRulesTests.now
        let due = BreakGlassReviewRules.reviewDue(grantedAt: granted, under: rule)
        #expect(due == granted.addingTimeInterval(24 * 3600))
        #expect(!BreakGlassReviewRules.isOverdue(grantedAt: granted, reviewed: false, under: rule, at: due.addingTimeInterval(-1)))
        #expect(BreakGlassReviewRules.isOverdue(grantedAt: granted, reviewed: false, under: rule, at: due))
        #expect(!BreakGlassReviewRules.isOverdue(grantedAt: granted, reviewed: true, under: rule, at: due.addingTimeInterval(3600)))
        let grant = RequestID.random()
        let facts = BreakGlassRules.GrantFacts(grant: grant, user: Cast.bob.name, ask: try BreakGlassRulesTests.ask(), expiresAt: granted.addingTimeInterval(1800), link: nil)
        let first = BreakGlassReviewRules.escalation(for: facts, under: rule, due: due, source: "s", at: due)
        let again = BreakGlassReviewRules.escalation(for: facts, under: rule, due: due, source: "s", at: due.addingTimeInterval(600))
        #expect(first.map(\.channel) == rule.channels)
        #expect(first.first?.notice.dedupKey == "\(grant):review-overdue" && first.first?.notice.dedupKey == again.first?.notice.dedupKey)
        #expect(first.first?.notice.details["review_due"] != nil && first.first?.notice.action == .trigger)
    }
}
