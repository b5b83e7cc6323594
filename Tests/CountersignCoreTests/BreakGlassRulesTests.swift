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

    @Test("a key challenge says whether the deciding rule wants the touch: always, when enrolled only with a key, never not; with no rule, yes")
    func touchWanted() throws {
        let quiet = try BreakGlassRule(
            name: "quiet-break-glass", host: try Glob("quiet-*.prod.internal"), login: try Glob("*"), onCall: ["sre"],
            incidentPattern: try TicketPattern("^INC-[0-9]+$"), keyTouch: .never, channels: [Self.pagerDuty]
        )
        let rules = [quiet] + Self.rules
        let table: [(host: String, login: String, hasKey: Bool, wanted: Bool)] = [
            ("db-1.prod.internal", "postgres", false, true),
            ("db-1.prod.internal", "postgres", true, true),
            ("web-1.prod.internal", "deploy", true, true),
            ("web-1.prod.internal", "deploy", false, false),
            ("QUIET-1.prod.internal", "deploy", true, false),
            ("build-1.ci.internal", "deploy", true, true),
        ]
        for row in table {
            let ask = try Self.ask(host: row.host, login: row.login)
            #expect(BreakGlassRules.touchWanted(for: ask, under: rules, hasUsableKey: row.hasKey) == row.wanted, "\(row)")
        }
    }

    @Test("without a duration the rule's longest is granted; the database rule needs a second SRE's agreement")
    func terms() throws {
        let production = try BreakGlassRules.admit(try Self.ask(), by: Cast.mallory, under: Self.rules, hasUsableKey: false, keyTouched: false, at: Self.now)
        #expect(production.durationSeconds == 1800 && production.agreement == nil)
        let database = try BreakGlassRules.admit(try Self.ask(host: "db-1.prod.internal", login: "postgres"), by: Cast.bob, under: Self.rules, hasUsableKey: true, keyTouched: true, at: Self.now)
        #expect(database.durationSeconds == 900 && database.agreement?.count == 1 && database.agreement?.group == "sre")
    }

    @Test("without a session only a key touch proves the user, under every key_touch setting; the grant's event says which proof it had")
    func keyAlone() throws {
        let untouched = try BreakGlassRules.admit(try Self.ask(), by: Cast.mallory, under: Self.rules, hasUsableKey: false, keyTouched: false, at: Self.now)
        #expect(throws: BreakGlassRefusal.self) { try untouched.keyAlone() }
        let touched = try BreakGlassRules.admit(try Self.ask(), by: Cast.mallory, under: Self.rules, hasUsableKey: true, keyTouched: true, at: Self.now)
        let alone = try touched.keyAlone()
        #expect(alone.sessionless && !touched.sessionless && alone.durationSeconds == touched.durationSeconds && alone.rule == touched.rule)
        for (admission, proof) in [(touched, "session"), (alone, "key_alone")] {
            let change = try BreakGlassRules.grant(try Self.ask(), admission, id: .random(), to: Cast.mallory.name, link: Self.link, source: "https://countersign.example.com", at: Self.now)
            #expect(change.events.first { $0.action == .breakGlassGranted }?.details["proof"] == proof)
        }
    }

    @Test("a grant's reviewers see every recording of its sessions, though neither auditors nor admins; anyone else only their own, and no other request's")
    func reviewersSeeRecordings() throws {
        let rule = try BreakGlassRule(
            name: "reviewed-by-leads", host: try Glob("*.prod.internal"), login: try Glob("*"), onCall: ["engineers"],
            incidentPattern: try TicketPattern("^INC-[0-9]+$"), channels: [Self.pagerDuty], reviewers: ["security-leads"]
        )
        let ask = try Self.ask()
        let admission = try BreakGlassRules.admit(ask, by: Cast.mallory, under: [rule], hasUsableKey: false, keyTouched: false, at: Self.now)
        let grant = try BreakGlassRules.grant(ask, admission, id: .random(), to: Cast.mallory.name, link: Self.link, source: "https://countersign.example.com", at: Self.now).request
        let lead = Actor(name: try Username("lena"), groups: ["security-leads"])
        let outsider = Actor(name: try Username("otto"), groups: ["engineers"])
        let session = Recording(
            id: .random(), requestID: grant.id, serial: try #require(CredentialSerial(rawValue: 9)), user: Cast.mallory.name,
            host: "web-1.prod.internal", login: "deploy", recordsInput: true, createdAt: Self.now, certificateExpiresAt: Self.now.addingTimeInterval(1800)
        )
        #expect(RecordingRules.mayViewEvery(of: grant, actor: lead) && !RecordingRules.mayViewEvery(of: grant, actor: outsider))
        #expect(RecordingRules.mayView(session, actor: lead, request: grant))
        #expect(!RecordingRules.mayView(session, actor: lead), "without its grant, the recording is not the lead's to see")
        #expect(!RecordingRules.mayView(session, actor: outsider, request: grant))
        #expect(!RecordingRules.mayView(RecordingRulesTests.fresh(), actor: lead, request: grant), "another request's recording")
        #expect(RecordingRules.mayView(session, actor: Cast.mallory), "the user sees their own session")
    }

    static let link = URL(string: "https://countersign.example.com/requests/x")

    /// A grant of `ask` to `actor` under the first rule covering it, as the gateway makes it.
    static func grant(_ ask: BreakGlassAsk, to actor: Actor, touched: Bool = true) throws -> RequestChange {
        let admission = try BreakGlassRules.admit(ask, by: actor, under: rules, hasUsableKey: touched, keyTouched: touched, at: now)
        return try BreakGlassRules.grant(ask, admission, id: .random(), to: actor.name, link: link, source: "https://countersign.example.com", at: now)
    }

    @Test("a grant without an agreement is active at once, recorded with input, and commits its pages")
    func grantActiveAtOnce() throws {
        let change = try Self.grant(try Self.ask(), to: Cast.mallory, touched: false)
        let grant = change.request
        #expect(grant.kind == .breakGlass && grant.state == .approved && grant.requester == Cast.mallory.name)
        #expect(grant.accessExpiresAt == Self.now.addingTimeInterval(1800) && grant.ticket == "INC-123")
        #expect(grant.certificateTerms.recording == .outputAndInput && grant.certificateTerms.lifetimeSeconds == 1800)
        #expect(grant.requirement == .noneNeeded && !RequestRules.mayReview(grant, actor: Cast.bob))
        #expect(grant.breakGlassTerms?.channels == [Self.pagerDuty] && grant.breakGlassTerms?.keyTouched == false)
        #expect(change.events.map(\.action) == [.requestCreated, .breakGlassGranted])
        #expect(change.notifications.map(\.channel) == [Self.pagerDuty])
        let credential = try CredentialRules.grant(.sshCertificate, for: grant, to: Cast.mallory.name, lifetime: 3600, at: Self.now)
        #expect(credential.principal == "deploy" && credential.validBefore == Self.now.addingTimeInterval(1800))
        #expect(throws: DomainError.self) { try CredentialRules.grant(.sshCertificate, for: grant, to: Cast.bob.name, lifetime: 3600, at: Self.now) }
    }

    @Test("a grant needing agreement waits on someone else, who agrees with their key; the user cannot agree to their own")
    func grantAwaitingAgreement() throws {
        let change = try Self.grant(try Self.ask(host: "db-1.prod.internal", login: "postgres"), to: Cast.bob)
        let grant = change.request
        #expect(grant.state == .pending && grant.accessExpiresAt == nil && grant.breakGlassTerms?.keyTouched == true)
        #expect(grant.pendingExpiresAt == Self.now.addingTimeInterval(TimeInterval(BreakGlassRules.agreementWindowSeconds)))
        #expect(change.notifications.count == 2 && change.notifications.allSatisfy { $0.notice.summary.contains("awaiting agreement") })
        #expect(throws: DomainError.self) { try RequestRules.apply(.approve(Cast.bob, method: .session), to: grant, at: Self.now) }
        #expect(throws: DomainError.self) { try RequestRules.apply(.approve(Cast.carol, method: .session), to: grant, at: Self.now) }
    }

    @Test("every page of a grant says who, where, which incident, why and until when; the resolve closes the same incident")
    func pages() throws {
        let ask = try Self.ask(host: "db-1.prod.internal", login: "postgres")
        let change = try Self.grant(ask, to: Cast.bob)
        let grant = change.request
        for page in change.notifications {
            let notice = page.notice
            #expect(notice.action == .trigger && notice.severity == .critical && notice.dedupKey == grant.id.rawValue && notice.eventClass == "break-glass")
            #expect(notice.summary.contains("bob") && notice.summary.contains("postgres@db-1.prod.internal") && notice.summary.contains("INC-123"))
            #expect(notice.component == "db-1.prod.internal" && notice.group == "postgres" && notice.link == Self.link)
            #expect(notice.details["user"] == "bob" && notice.details["incident"] == "INC-123" && notice.details["reason"] == ask.reason)
            #expect(notice.details["expires_at"] == ISO8601DateFormatter().string(from: Self.now.addingTimeInterval(900)))
            #expect(page.state == .pending && page.nextAttemptAt == Self.now)
        }
        let resolves = try BreakGlassRules.resolves(for: grant, endedBy: "erin", link: Self.link, source: "s", at: Self.now.addingTimeInterval(60))
        #expect(resolves.map(\.notice.action) == [.resolve, .resolve] && resolves.allSatisfy { $0.notice.dedupKey == grant.id.rawValue })
        #expect(resolves.first?.notice.details["ended_by"] == "erin")
    }

    struct EndCase: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let actor: Actor
        let allowed: Bool
    }

    @Test("a grant is ended by its user, an admin or a reviewer; by nobody else", arguments: [
        EndCase(testDescription: "its user", actor: Cast.mallory, allowed: true),
        EndCase(testDescription: "an admin", actor: Cast.erin, allowed: true),
        EndCase(testDescription: "an auditor (the default reviewers)", actor: Cast.audrey, allowed: true),
        EndCase(testDescription: "another engineer", actor: Cast.bob, allowed: false),
    ])
    func ending(_ row: EndCase) throws {
        let grant = try Self.grant(try Self.ask(), to: Cast.mallory, touched: false).request
        do {
            let change = try BreakGlassRules.end(grant, by: row.actor, reason: "fixed", link: nil, source: "s", at: Self.now.addingTimeInterval(60))
            #expect(row.allowed)
            #expect(change.request.state == .revoked && change.request.closedBy == row.actor.name && change.request.closeReason == "fixed")
            #expect(change.events.map(\.action) == [.requestRevoked, .breakGlassEnded])
            #expect(change.notifications.map(\.notice.action) == [.resolve] && change.notifications.first?.notice.details["ended_by"] == row.actor.name.rawValue)
            #expect(throws: DomainError.self) { try BreakGlassRules.end(change.request, by: row.actor, reason: "again", link: nil, source: "s", at: Self.now) }
        } catch {
            #expect(!row.allowed && error.code == .forbidden)
        }
    }

    @Test("a grant ends by its incident's resolution or its expiry, with a resolve; plain revoke and cancel refuse a grant")
    func endings() throws {
        let grant = try Self.grant(try Self.ask(), to: Cast.mallory, touched: false).request
        let resolved = try BreakGlassRules.endByIncident(grant, incident: "Q1ABC", link: nil, source: "s", at: Self.now.addingTimeInterval(60))
        #expect(resolved.request.state == .revoked && resolved.request.closedBy == nil && resolved.request.closeReason == "incident Q1ABC resolved")
        #expect(resolved.events.allSatisfy { $0.actor == BreakGlassRules.incidentActor } && resolved.notifications.count == 1)
        let expired = try RequestRules.apply(.expire, to: grant, at: Self.now.addingTimeInterval(1800))
        let notices = try BreakGlassRules.expiryNotices(for: expired, link: nil, source: "s", at: Self.now.addingTimeInterval(1800))
        #expect(notices.map(\.notice.action) == [.resolve] && notices.first?.notice.details["ended_by"] == "expiry")
        #expect(throws: DomainError.self) { try RequestRules.apply(.revoke(Cast.mallory, reason: "done"), to: grant, at: Self.now) }
        #expect(throws: DomainError.self) { try RequestRules.apply(.cancel(Cast.mallory), to: grant, at: Self.now) }
        #expect(throws: DomainError.self) { try BreakGlassRules.end(grant, by: Cast.mallory, reason: "late", link: nil, source: "s", at: Self.now.addingTimeInterval(1800)) }
    }

    @Test("an undelivered page is announced on every other channel, once per grant")
    func undeliveredPage() throws {
        let grant = try Self.grant(try Self.ask(host: "db-1.prod.internal", login: "postgres"), to: Cast.bob).request
        let notices = try BreakGlassRules.undeliveredPageNotices(for: grant, undelivered: [Self.pagerDuty], on: [Self.pagerDuty, Self.slack], link: nil, source: "s", at: Self.now)
        #expect(notices.map(\.channel) == [Self.slack] && notices.first?.notice.dedupKey == "\(grant.id):page-undelivered")
        #expect(try BreakGlassRules.undeliveredPageNotices(for: grant, undelivered: [Self.pagerDuty], on: [Self.pagerDuty], link: nil, source: "s", at: Self.now).isEmpty)
    }

    @Test("the key challenge of an ask binds its user and every field")
    func askStatement() throws {
        let ask = try Self.ask()
        let digest = ask.statementDigest(by: Cast.mallory.name)
        #expect(digest != ask.statementDigest(by: Cast.bob.name))
        #expect(digest != (try Self.ask(incident: "INC-124")).statementDigest(by: Cast.mallory.name))
        #expect(digest != (try Self.ask(minutes: 30)).statementDigest(by: Cast.mallory.name))
        var generator = SystemRandomNumberGenerator()
        let challenge = try StatementChallenge.issue(.breakGlass, by: Cast.mallory.name, about: nil, digest: digest, at: Self.now, using: &generator)
        #expect(challenge.binds(.breakGlass, digest: digest, about: nil) && !challenge.binds(.breakGlassReview, digest: digest, about: nil))
        #expect(throws: DomainError.self) { try StatementChallenge(statement: .breakGlassReview, person: Cast.audrey.name, requestID: nil, digest: digest, nonce: challenge.nonce, issuedAt: Self.now) }
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
        let pages = try BreakGlassRules.attemptPages(for: refusal, ask: ask, by: Cast.mallory.name, source: "s", at: Self.now)
        #expect(pages.map(\.channel) == [Self.pagerDuty, Self.slack])
        #expect(pages.allSatisfy { $0.notice.details["refusal"] == "break_glass_not_on_call" && $0.notice.details["user"] == "mallory" && $0.notice.severity == .error })
        #expect(Set(pages.map(\.notice.dedupKey)).count == 1, "one attempt, one incident at the receiver")
        let unruled = BreakGlassRefusal(.noRule, "none", rule: nil)
        #expect(try BreakGlassRules.attemptPages(for: unruled, ask: ask, by: Cast.mallory.name, source: "s", at: Self.now).isEmpty)
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

    static func endedGrant() throws -> AccessRequest {
        let grant = try BreakGlassRulesTests.grant(try BreakGlassRulesTests.ask(), to: Cast.mallory, touched: false).request
        return try BreakGlassRules.end(grant, by: Cast.mallory, reason: "fixed", link: nil, source: "s", at: BreakGlassRulesTests.now.addingTimeInterval(600)).request
    }

    func review(_ verdict: BreakGlassReview.Verdict, notes: String = "watched it", by actor: Actor = Cast.audrey, at offset: TimeInterval = 3600) throws -> BreakGlassReview {
        try BreakGlassReview(reviewer: actor.name, groups: actor.groups, verdict: verdict, notes: notes, at: BreakGlassRulesTests.now.addingTimeInterval(offset), evidence: Self.evidence)
    }

    @Test("a review is made once, by an eligible reviewer in their own name; an unjustified one is announced on the grant's channels")
    func reviewing() throws {
        let grant = try Self.endedGrant()
        let justified = try BreakGlassReviewRules.review(grant, with: try review(.justified), reviewerActor: Cast.audrey, link: nil, source: "s")
        #expect(justified.request.breakGlassReview?.verdict == .justified && justified.events.map(\.action) == [.breakGlassReviewed] && justified.notifications.isEmpty)
        #expect(throws: DomainError.self) { try BreakGlassReviewRules.review(justified.request, with: try review(.justified), reviewerActor: Cast.audrey, link: nil, source: "s") }
        #expect(throws: DomainError.self) { try BreakGlassReviewRules.review(grant, with: try review(.justified, by: Cast.mallory), reviewerActor: Cast.mallory, link: nil, source: "s") }
        #expect(throws: DomainError.self) { try BreakGlassReviewRules.review(grant, with: try review(.justified), reviewerActor: Cast.erin, link: nil, source: "s") }
        let unjustified = try BreakGlassReviewRules.review(grant, with: try review(.unjustified, notes: "no incident"), reviewerActor: Cast.audrey, link: nil, source: "s")
        #expect(unjustified.notifications.map(\.channel) == [BreakGlassRulesTests.pagerDuty] && unjustified.notifications.first?.notice.details["notes"] == "no incident")
    }

    @Test("a grant is overdue once its window has passed unreviewed, and escalates once")
    func overdue() throws {
        let grant = try Self.endedGrant()
        let due = try #require(BreakGlassReviewRules.reviewDue(of: grant))
        #expect(due == BreakGlassRulesTests.now.addingTimeInterval(24 * 3600))
        #expect(!BreakGlassReviewRules.isOverdue(grant, at: due.addingTimeInterval(-1)))
        #expect(BreakGlassReviewRules.isOverdue(grant, at: due))
        #expect(throws: DomainError.self) { try BreakGlassReviewRules.escalate(grant, link: nil, source: "s", at: due.addingTimeInterval(-1)) }
        let escalated = try BreakGlassReviewRules.escalate(grant, link: nil, source: "s", at: due)
        #expect(escalated.request.reviewEscalatedAt == due && escalated.events.map(\.action) == [.breakGlassReviewOverdue])
        #expect(escalated.notifications.first?.notice.dedupKey == "\(grant.id):review-overdue" && escalated.notifications.first?.notice.action == .trigger)
        #expect(throws: DomainError.self) { try BreakGlassReviewRules.escalate(escalated.request, link: nil, source: "s", at: due.addingTimeInterval(600)) }
        let reviewed = try BreakGlassReviewRules.review(grant, with: try review(.justified, at: 25 * 3600), reviewerActor: Cast.audrey, link: nil, source: "s").request
        #expect(!BreakGlassReviewRules.isOverdue(reviewed, at: due.addingTimeInterval(3600)))
    }
}
