import CountersignCore
import CountersignStore
import Foundation
import Testing

/// What every backend must keep of a break-glass grant, against the protocols alone, given a
/// fresh store: a grant is stored as its rules made it (approved from birth, or pending on its
/// agreement) with the terms it was granted under and its pages; the listings a grant's life
/// needs select and order grants by their index; a review and an escalation are each recorded
/// once and never rewritten; an expiry commits what its caller announces of it; a refusal's page
/// commits with its event; a statement's challenge reads back as issued; a grant's reviewers see
/// it. Changes come from the core's own rules, as a gateway makes them.
enum BreakGlassStoreContract {
    typealias Fixtures = ContractFixtures
    typealias Store = RequestStore & BreakGlassStore & OutboxStore & AuditLog

    static let pager = try! ChannelName("oncall-pagerduty")
    static let slack = try! ChannelName("security-slack")
    static let source = "https://countersign.example"
    /// A reviewer of every grant the default rule makes.
    static let erin = try! Fixtures.actor("erin", groups: ["security"])

    /// Production databases as postgres for on-call SREs, paged on two channels, reviewed by
    /// `reviewers` within `reviewWindow` seconds.
    static func rule(agreement: ApprovalClause? = nil, reviewWindow: Int = 3600, reviewers: Set<String> = ["security"]) throws -> BreakGlassRule {
        try BreakGlassRule(
            name: "database-break-glass", host: try Glob("db-*.prod.example.com"), login: try Glob("postgres"), onCall: ["sre"],
            maximumDurationSeconds: 1800, incidentPattern: try TicketPattern("^INC-[0-9]+$"), agreement: agreement, keyTouch: .never,
            channels: [pager, slack], reviewWindowSeconds: reviewWindow, reviewers: reviewers
        )
    }

    static func ask(minutes: Int = 10) throws -> BreakGlassAsk {
        try BreakGlassAsk(
            host: "db-1.prod.example.com", login: "postgres", incident: "INC-7", reason: "the primary is down; failing over",
            durationSeconds: minutes * 60
        )
    }

    /// The unit of work of breaking glass, as a gateway makes it: admitted, then granted.
    static func grant(by user: String = "bob", under rule: BreakGlassRule? = nil, id: RequestID = .random(), at now: Date) throws -> RequestChange {
        let rule = try rule ?? Self.rule()
        let ask = try ask()
        let actor = try Fixtures.actor(user, groups: ["sre"])
        let admission = try BreakGlassRules.admit(ask, by: actor, under: [rule], hasUsableKey: false, keyTouched: false, at: now)
        return try BreakGlassRules.grant(ask, admission, id: id, to: actor.name, link: nil, source: source, at: now)
    }

    static func evidence(_ seed: UInt8) -> HardwareKeyEvidence {
        HardwareKeyEvidence(
            credentialID: [seed, seed, seed, seed], publicKey: [0xA4, seed], authenticatorData: [UInt8](repeating: seed, count: 37),
            clientDataJSON: Array(#"{"type":"webauthn.get"}"#.utf8), signature: [seed, 2, 3], nonce: [UInt8](repeating: seed, count: 32)
        )
    }

    static func review(_ verdict: BreakGlassReview.Verdict, notes: String = "the failover needed it", seed: UInt8 = 7, at now: Date) throws -> BreakGlassReview {
        try BreakGlassReview(reviewer: erin.name, groups: erin.groups, verdict: verdict, notes: notes, at: now, evidence: evidence(seed))
    }

    /// The decision of erin's review of a grant.
    static func reviewing(_ review: BreakGlassReview) -> @Sendable (AccessRequest) throws -> RequestChange {
        { grant in try BreakGlassReviewRules.review(grant, with: review, reviewerActor: erin, link: nil, source: source) }
    }

    static func messages(_ store: some OutboxStore, dedupKey: String) async throws -> [OutboxMessage] {
        try await store.outboxMessages(channel: nil, pendingOnly: false, limit: 100).filter { $0.notice.dedupKey == dedupKey }
    }

    // MARK: Grants

    static func aGrantIsStoredAsGrantedWithItsTermsAndPages(_ store: some Store) async throws {
        let now = ManualClock().now()
        let active = try grant(at: now)
        #expect(active.request.state == .approved)
        #expect(try await store.createRequest(active) == active.request)
        let stored = try #require(try await store.request(active.request.id))
        #expect(stored == active.request)
        #expect(stored.state == .approved)
        #expect(stored.accessExpiresAt == now.addingTimeInterval(600))
        #expect(stored.requirement == .noneNeeded)
        let terms = try #require(stored.breakGlassTerms)
        #expect(terms.channels == [pager, slack])
        #expect(terms.reviewers == ["security"])
        #expect(terms.reviewWindowSeconds == 3600)
        #expect(stored.breakGlassReview == nil && stored.reviewEscalatedAt == nil)
        let pages = try await messages(store, dedupKey: active.request.id.rawValue)
        #expect(Set(pages) == Set(active.notifications), "the pages commit with the grant")
        #expect(try await store.auditRecords(after: 0, limit: 10).map(\.event.action) == [.requestCreated, .breakGlassGranted])

        let waiting = try grant(by: "carol", under: try rule(agreement: try ApprovalClause(count: 1, group: "sre")), at: now.addingTimeInterval(1))
        #expect(waiting.request.state == .pending)
        _ = try await store.createRequest(waiting)
        #expect(try await store.request(waiting.request.id) == waiting.request)
        #expect(try await store.requests(RequestQuery(kinds: [.breakGlass])) == [waiting.request, active.request])
        let counts = try await store.requestCounts()
        #expect(counts.first { $0.kind == .breakGlass && $0.state == .approved }?.count == 1)
        #expect(counts.first { $0.kind == .breakGlass && $0.state == .pending }?.count == 1)

        // A grant without its terms could be neither paged nor reviewed; terms on another kind
        // would make a reviewer of whoever they name.
        let bob = try Fixtures.user("bob")
        let target = try SSHTarget(host: "db-1.prod.example.com", login: "postgres", durationSeconds: 600)
        let termless = AccessRequest(
            id: .random(), requester: bob, draft: try RequestDraft(target: .breakGlass(target), reason: "the primary is down", ticket: "INC-7"),
            createdAt: now, ruleName: "database-break-glass", requirement: .noneNeeded, pendingExpiresAt: now, accessDurationSeconds: 600
        )
        let sshWithTerms = AccessRequest(
            id: .random(), requester: bob, draft: try RequestDraft(target: .ssh(target), reason: "vacuum", ticket: "CHG-7"),
            createdAt: now, ruleName: "prod-ssh", requirement: try Fixtures.requirement([(1, "dba")]), pendingExpiresAt: now.addingTimeInterval(60),
            accessDurationSeconds: 600, breakGlassTerms: terms
        )
        for refused in [termless, sshWithTerms] {
            #expect(await Fixtures.refusalCode { _ = try await store.file(refused) } == "invalid_change")
            #expect(try await store.request(refused.id) == nil)
        }
        #expect(try await store.auditRecords(after: 0, limit: 10).count == 4, "the refused creations left no event")
    }

    static func listingsSelectGrantsInTheirOrder(_ store: some Store) async throws {
        let start = ManualClock().now()
        // Reviews due at start + 3600, + 3660 and + 7320.
        let first = try await store.createRequest(try grant(at: start))
        let second = try await store.createRequest(try grant(by: "carol", at: start.addingTimeInterval(60)))
        let third = try await store.createRequest(try grant(by: "dave", under: try rule(reviewWindow: 7200), at: start.addingTimeInterval(120)))
        _ = try await store.file(try Fixtures.ssh(at: start.addingTimeInterval(30)))
        func listed(_ selection: BreakGlassQuery.Selection, limit: Int = 10) async throws -> [RequestID] {
            try await store.breakGlassGrants(BreakGlassQuery(selection, limit: limit)).map(\.id)
        }
        #expect(try await store.breakGlassGrants(BreakGlassQuery(.all, limit: 10)) == [third, second, first], "read back whole, newest first")
        #expect(try await listed(.all, limit: 1) == [third.id])
        #expect(try await listed(.unreviewed) == [first.id, second.id, third.id], "the longest waiting first")
        #expect(try await listed(.escalationDue(at: start.addingTimeInterval(3599.999))).isEmpty)
        #expect(try await listed(.escalationDue(at: start.addingTimeInterval(3600))) == [first.id])
        #expect(try await listed(.escalationDue(at: start.addingTimeInterval(8000))) == [first.id, second.id, third.id], "the longest overdue first")
        #expect(try await listed(.open) == [third.id, second.id, first.id])

        let reviewAt = start.addingTimeInterval(600)
        _ = try await store.update(second.id, at: reviewAt, reviewing(try review(.justified, at: reviewAt)))
        let dueAt = start.addingTimeInterval(3600)
        _ = try await store.update(first.id, at: dueAt) { try BreakGlassReviewRules.escalate($0, link: nil, source: source, at: dueAt) }
        let endAt = start.addingTimeInterval(300)
        _ = try await store.update(third.id, at: endAt) {
            try BreakGlassRules.end($0, by: try Fixtures.actor("dave", groups: ["sre"]), reason: "replica promoted", link: nil, source: source, at: endAt)
        }
        let waiting = try grant(by: "frank", under: try rule(agreement: try ApprovalClause(count: 1, group: "sre")), at: start.addingTimeInterval(180))
        _ = try await store.createRequest(waiting)

        #expect(try await listed(.all) == [waiting.request.id, third.id, second.id, first.id])
        #expect(try await listed(.unreviewed) == [first.id, third.id, waiting.request.id])
        // The waiting grant's review fell due at start + 3780, the ended one's at + 7320.
        #expect(
            try await listed(.escalationDue(at: start.addingTimeInterval(8000))) == [waiting.request.id, third.id],
            "reviewed and escalated grants are not paged again; ended ones still want their review"
        )
        #expect(try await listed(.open) == [waiting.request.id, second.id, first.id], "pending or approved, whatever their deadlines")
        for limit in [0, BreakGlassQuery.maximumLimit + 1] {
            #expect(throws: StoreError.self) { _ = try BreakGlassQuery(.all, limit: limit) }
        }
    }

    // MARK: Once

    static func aReviewIsRecordedOnce(_ store: some Store) async throws {
        let now = ManualClock().now()
        let granted = try grant(at: now)
        let id = granted.request.id
        _ = try await store.createRequest(granted)
        let reviewAt = now.addingTimeInterval(900)
        let verdict = try review(.unjustified, notes: "nothing in the incident needed a shell on the primary", at: reviewAt)
        let reviewed = try await store.update(id, at: reviewAt, reviewing(verdict))
        #expect(reviewed.breakGlassReview == verdict)
        #expect(try await store.request(id) == reviewed)
        #expect(try await store.auditRecords(after: 2, limit: 10).map(\.event.action) == [.breakGlassReviewed])
        #expect(try await messages(store, dedupKey: "\(id.rawValue):review").map(\.channel).sorted() == [pager, slack], "an unjustified use is told to the channels")

        let again = await #expect(throws: DomainError.self) {
            _ = try await store.update(id, at: reviewAt, reviewing(try review(.justified, at: reviewAt)))
        }
        #expect(again?.code == .invalidState, "the rule refuses a second review")
        // Made by hand from the grant as it was before its review: the store refuses them itself.
        let otherVerdict = try review(.justified, seed: 9, at: reviewAt)
        let attempts: [(String, @Sendable (AccessRequest) throws -> RequestChange)] = [
            ("a verdict rewritten", { _ in try BreakGlassReviewRules.review(granted.request, with: otherVerdict, reviewerActor: erin, link: nil, source: source) }),
            ("the review removed", { _ in RequestChange(request: granted.request, events: []) }),
            ("the terms replaced", { _ in try grant(under: try rule(reviewers: ["sre-leads"]), id: id, at: now) }),
        ]
        for (name, decide) in attempts {
            #expect(await Fixtures.refusalCode { _ = try await store.update(id, at: reviewAt, decide) } == "invalid_change", "\(name)")
        }
        #expect(try await store.request(id) == reviewed)
        #expect(try await store.auditRecords(after: 0, limit: 10).count == 3, "the refused changes left no event")
    }

    static func anEscalationIsMadeOnce(_ store: some Store) async throws {
        let now = ManualClock().now()
        let granted = try grant(at: now)
        let id = granted.request.id
        _ = try await store.createRequest(granted)
        @Sendable func escalating(at time: Date) -> @Sendable (AccessRequest) throws -> RequestChange {
            { try BreakGlassReviewRules.escalate($0, link: nil, source: source, at: time) }
        }
        let early = await #expect(throws: DomainError.self) { _ = try await store.update(id, at: now, escalating(at: now.addingTimeInterval(3599))) }
        #expect(early?.code == .invalidState, "not yet due")
        let dueAt = now.addingTimeInterval(3600)
        let escalated = try await store.update(id, at: dueAt, escalating(at: dueAt))
        #expect(escalated.reviewEscalatedAt == dueAt)
        #expect(try await store.request(id) == escalated)
        #expect(try await store.auditRecords(after: 2, limit: 10).map(\.event.action) == [.breakGlassReviewOverdue])
        let pages = try await messages(store, dedupKey: "\(id.rawValue):review-overdue")
        #expect(pages.map(\.channel).sorted() == [pager, slack])
        #expect(pages.allSatisfy { $0.notice.action == .trigger })

        let again = await #expect(throws: DomainError.self) { _ = try await store.update(id, at: dueAt, escalating(at: dueAt.addingTimeInterval(60))) }
        #expect(again?.code == .invalidState, "the rule refuses a second escalation")
        let later = dueAt.addingTimeInterval(60)
        let attempts: [(String, @Sendable (AccessRequest) throws -> RequestChange)] = [
            ("an escalation at another time", { _ in try BreakGlassReviewRules.escalate(granted.request, link: nil, source: source, at: later) }),
            ("the escalation removed", { _ in RequestChange(request: granted.request, events: []) }),
        ]
        for (name, decide) in attempts {
            #expect(await Fixtures.refusalCode { _ = try await store.update(id, at: later, decide) } == "invalid_change", "\(name)")
        }
        #expect(try await store.request(id) == escalated)

        let reviewAt = dueAt.addingTimeInterval(600)
        let reviewed = try await store.update(id, at: reviewAt, reviewing(try review(.justified, at: reviewAt)))
        #expect(reviewed.reviewEscalatedAt == dueAt, "a review keeps the escalation before it")
        #expect(try await store.request(id) == reviewed)
    }

    // MARK: Units of work

    struct Unannounceable: Error {}

    static func expiryCommitsWhatItAnnouncesAndPassesOverWhatItCannot(_ store: some Store) async throws {
        let start = ManualClock().now()
        let announced = try await store.createRequest(try grant(at: start))
        let blocked = try await store.createRequest(try grant(by: "carol", at: start))
        let deploy = try await store.file(try Fixtures.deploy(at: start, pendingFor: 60))
        let end = start.addingTimeInterval(600)
        let blockedID = blocked.id
        let expired = try await store.expireDue(at: end, limit: 10) { change in
            guard change.request.id != blockedID else { throw Unannounceable() }
            return try BreakGlassRules.expiryNotices(for: change, link: nil, source: source, at: end)
        }
        #expect(Set(expired.map(\.id)) == [announced.id, deploy.id])
        #expect(try await store.request(announced.id)?.state == .expired)
        #expect(try await store.request(blockedID)?.state == .approved, "passed over, to expire once it can be announced")
        let resolves = try await messages(store, dedupKey: announced.id.rawValue).filter { $0.notice.action == .resolve }
        #expect(resolves.map(\.channel).sorted() == [pager, slack], "the resolves commit with the expiry")
        #expect(try await messages(store, dedupKey: blockedID.rawValue).allSatisfy { $0.notice.action == .trigger })

        let later = try await store.expireDue(at: end, limit: 10) { try BreakGlassRules.expiryNotices(for: $0, link: nil, source: source, at: end) }
        #expect(later.map(\.id) == [blockedID])
        #expect(try await messages(store, dedupKey: blockedID.rawValue).filter { $0.notice.action == .resolve }.count == 2)
    }

    static func enqueuedMessagesCommitWithTheirEvents(_ store: some OutboxStore & AuditLog) async throws {
        let now = ManualClock().now()
        let ask = try ask()
        let outsider = try Fixtures.actor("mallory", groups: ["engineers"])
        let rules = [try rule()]
        let admission = Result { () throws(BreakGlassRefusal) in
            try BreakGlassRules.admit(ask, by: outsider, under: rules, hasUsableKey: false, keyTouched: false, at: now)
        }
        guard case .failure(let refused) = admission else {
            Issue.record("someone not on call was admitted")
            return
        }
        let pages = try BreakGlassRules.attemptPages(for: refused, ask: ask, by: outsider.name, source: source, at: now)
        let event = BreakGlassRules.refusalEvent(for: refused, ask: ask, by: outsider.name, at: now)
        #expect(pages.count == 2)
        try await store.enqueue(pages, events: [event])
        for page in pages {
            #expect(try await store.outboxMessage(page.id) == page)
        }
        #expect(try await store.auditRecords(after: 0, limit: 10).map(\.event) == [event])
        try await store.enqueue([], events: [event])
        #expect(try await store.auditRecords(after: 0, limit: 10).count == 2, "events alone commit too")

        // All or none: a message whose id is taken fails the whole enqueue, its event with it.
        let fresh = OutboxMessage(id: .random(), channel: pager, notice: pages[0].notice, createdAt: now)
        await #expect(throws: (any Error).self) { try await store.enqueue([fresh, pages[0]], events: [event]) }
        #expect(try await store.outboxMessage(fresh.id) == nil)
        #expect(try await store.auditRecords(after: 0, limit: 10).count == 2)
    }

    // MARK: Challenges and visibility

    /// Both statements a key signs, stored as issued and read back by `read` (the backend's own
    /// row reader: no protocol operation hands a stored challenge back without spending it).
    static func statementChallengesReadBackAsIssued(
        _ store: some RequestStore & HardwareKeyStore, read: (String) async throws -> CeremonyChallenge?
    ) async throws {
        let now = ManualClock().now()
        let granted = try await store.createRequest(try grant(at: now))
        var generator = SystemRandomNumberGenerator()
        let bob = try Fixtures.user("bob")
        let asking = try StatementChallenge.issue(.breakGlass, by: bob, about: nil, digest: try ask().statementDigest(by: bob), at: now, using: &generator)
        let reviewing = try StatementChallenge.issue(
            .breakGlassReview, by: erin.name, about: granted.id,
            digest: BreakGlassReview.statementDigest(of: granted, verdict: .justified, notes: "needed"), at: now, using: &generator
        )
        let challenges = [
            CeremonyChallenge(id: String(repeating: "s", count: 32), user: bob, purpose: .statement(asking), issuedAt: now),
            CeremonyChallenge(id: String(repeating: "t", count: 32), user: erin.name, purpose: .statement(reviewing), issuedAt: now),
        ]
        for challenge in challenges {
            try await store.openChallenge(challenge, at: now)
            let stored = try #require(try await read(challenge.id))
            #expect(stored == challenge)
            #expect(stored.challengeBytes == challenge.challengeBytes, "what the key signs is re-derived from the row")
        }
        let orphan = try StatementChallenge.issue(.breakGlassReview, by: erin.name, about: .random(), digest: asking.digest, at: now, using: &generator)
        await #expect(throws: StoreError.self, "a review's challenge names a grant that exists") {
            try await store.openChallenge(CeremonyChallenge(id: String(repeating: "u", count: 32), user: erin.name, purpose: .statement(orphan), issuedAt: now), at: now)
        }
    }

    /// A grant's reviewers see it in listings (`RequestRules.mayView`), and the store lists for
    /// each audience exactly what the core's rule lets it.
    static func aGrantsReviewersSeeIt(_ store: some RequestStore) async throws {
        let now = ManualClock().now()
        let granted = try grant(at: now)
        let agreed = try grant(
            by: "carol", under: try rule(agreement: try ApprovalClause(count: 1, group: "dba"), reviewers: ["security", "sre-leads"]),
            at: now.addingTimeInterval(60)
        )
        _ = try await store.createRequest(granted)
        _ = try await store.createRequest(agreed)
        let ssh = try await store.file(try Fixtures.ssh(by: "alice", at: now.addingTimeInterval(120)))
        let newestFirst = [ssh, agreed.request, granted.request]
        let gina = try Fixtures.actor("gina", groups: ["security"])
        #expect(try await store.requests(RequestQuery(audience: .viewer(gina))).map(\.id) == [agreed.request.id, granted.request.id])
        let actors = [
            gina, try Fixtures.actor("hal", groups: ["sre-leads"]), try Fixtures.actor("dan", groups: ["dba"]),
            try Fixtures.actor("bob", groups: ["sre"]), try Fixtures.actor("ivan", groups: ["sre"]), try Fixtures.actor("mallory", groups: []),
            try Fixtures.actor("olga", groups: ["auditors"]),
        ]
        for actor in actors {
            for audience in [RequestAudience.viewer(actor), .reviewer(actor)] {
                let expected = newestFirst.filter { RequestRules.belongs($0, to: audience) }.map(\.id)
                #expect(try await store.requests(RequestQuery(audience: audience)).map(\.id) == expected, "\(audience)")
            }
        }
    }

    // MARK: The database's own guards

    /// Raw SQL, as an operator's shell would run it, cannot alter a grant's terms, a recorded
    /// review or escalation, nor delete a grant.
    static func rawEditsCannotRewriteAGrant(_ store: some Store, execute: (String) async throws -> Void) async throws {
        let now = ManualClock().now()
        let reviewed = try grant(at: now)
        let escalated = try grant(by: "carol", at: now)
        _ = try await store.createRequest(reviewed)
        _ = try await store.createRequest(escalated)
        let reviewAt = now.addingTimeInterval(600)
        let verdict = try review(.unjustified, notes: "no need", at: reviewAt)
        let afterReview = try await store.update(reviewed.request.id, at: reviewAt, reviewing(verdict))
        let dueAt = now.addingTimeInterval(3600)
        let escalation = try await store.update(escalated.request.id, at: dueAt) { try BreakGlassReviewRules.escalate($0, link: nil, source: source, at: dueAt) }
        let r = "'\(reviewed.request.id.rawValue)'"
        let e = "'\(escalated.request.id.rawValue)'"
        for sql in [
            "UPDATE break_glass_grants SET verdict = 'justified' WHERE request_id = \(r)",
            "UPDATE break_glass_grants SET notes = 'rewritten' WHERE request_id = \(r)",
            "UPDATE break_glass_grants SET reviewer = 'mallory' WHERE request_id = \(r)",
            "UPDATE break_glass_grants SET reviewed_at = reviewed_at + 1 WHERE request_id = \(r)",
            "UPDATE break_glass_grants SET signature = credential_id WHERE request_id = \(r)",
            """
            UPDATE break_glass_grants SET reviewer = NULL, reviewer_groups = NULL, verdict = NULL, notes = NULL, reviewed_at = NULL,
                credential_id = NULL, public_key = NULL, authenticator_data = NULL, client_data_json = NULL, signature = NULL, nonce = NULL
            WHERE request_id = \(r)
            """,
            "UPDATE break_glass_grants SET escalated_at = NULL WHERE request_id = \(e)",
            "UPDATE break_glass_grants SET escalated_at = escalated_at + 1 WHERE request_id = \(e)",
            "UPDATE break_glass_grants SET reviewers = '[\"sre\"]' WHERE request_id = \(e)",
            "UPDATE break_glass_grants SET channels = '[\"oncall-pagerduty\"]' WHERE request_id = \(e)",
            "UPDATE break_glass_grants SET review_within_seconds = 7200, review_due_at = granted_at + 7200000 WHERE request_id = \(e)",
            "UPDATE break_glass_grants SET review_due_at = review_due_at + 1000 WHERE request_id = \(e)",
            "DELETE FROM break_glass_grants WHERE request_id = \(e)",
        ] {
            await #expect(throws: (any Error).self, "\(sql)") { try await execute(sql) }
        }
        #expect(try await store.request(reviewed.request.id) == afterReview)
        #expect(try await store.request(escalated.request.id) == escalation)
    }

    struct Damage: CustomTestStringConvertible, Sendable {
        let testDescription: String
        /// With `GRANT` for the grant's id in quotes, `OTHER` for an ssh request's, `CREATED` for its creation time.
        let sql: String
        /// Where it shows: reading the grant itself, or only in the grants' listing.
        let readsOnlyInTheListing: Bool

        init(_ description: String, _ sql: String, readsOnlyInTheListing: Bool = false) {
            testDescription = description
            self.sql = sql
            self.readsOnlyInTheListing = readsOnlyInTheListing
        }
    }

    /// Rows the CHECKs let through (once the guarding triggers are gone) but the domain refuses.
    static let damages = [
        Damage("a grant without its row", "DELETE FROM break_glass_grants WHERE request_id = GRANT"),
        Damage("reviewers not in their sorted spelling", #"UPDATE break_glass_grants SET reviewers = '["zeta", "alpha"]' WHERE request_id = GRANT"#),
        Damage("a channel that is not a channel name", #"UPDATE break_glass_grants SET channels = '["Not A Channel"]' WHERE request_id = GRANT"#),
        Damage("a channel named twice", #"UPDATE break_glass_grants SET channels = '["oncall-pagerduty", "oncall-pagerduty"]' WHERE request_id = GRANT"#),
        Damage(
            "a grant time that is not its request's",
            "UPDATE break_glass_grants SET granted_at = granted_at + 1000, review_due_at = review_due_at + 1000 WHERE request_id = GRANT"
        ),
        Damage(
            "a grants row beside an ssh request",
            """
            INSERT INTO break_glass_grants (request_id, channels, reviewers, review_within_seconds, key_touched, granted_at, review_due_at)
            VALUES (OTHER, '["oncall-pagerduty"]', '["security"]', 3600, '0', CREATED, CREATED + 3600000)
            """,
            readsOnlyInTheListing: true
        ),
    ]

    /// A grant damaged behind the store's back (`unguard` first drops the triggers that would
    /// stop it) reads as a `corrupt_row` naming it, never as a grant with other terms.
    static func aDamagedGrantReadsAsCorrupt(
        _ damage: Damage, _ store: some Store, unguard: String, execute: (String) async throws -> Void
    ) async throws {
        let now = ManualClock().now()
        let granted = try await store.createRequest(try grant(at: now))
        let ssh = try await store.file(try Fixtures.ssh(at: now))
        try await execute(unguard)
        try await execute(
            damage.sql.replacingOccurrences(of: "GRANT", with: "'\(granted.id.rawValue)'").replacingOccurrences(of: "OTHER", with: "'\(ssh.id.rawValue)'")
                .replacingOccurrences(of: "CREATED", with: String(ssh.createdAt.millisecondsSinceEpoch))
        )
        let named = damage.readsOnlyInTheListing ? ssh.id : granted.id
        func refusal(_ body: () async throws -> Void) async -> String? {
            do {
                try await body()
                return nil
            } catch let error as StoreError where error.code == .corruptRow {
                return error.message
            } catch {
                return "\(error)"
            }
        }
        // A stray row is found from the grants' side, a missing one from the requests'.
        let listing = try BreakGlassQuery(damage.readsOnlyInTheListing ? .all : .open, limit: 10)
        #expect(await refusal { _ = try await store.breakGlassGrants(listing) }?.contains(named.rawValue) == true)
        if damage.readsOnlyInTheListing {
            #expect(try await store.request(ssh.id) == ssh, "the ssh request itself reads as it was")
        } else {
            #expect(await refusal { _ = try await store.request(granted.id) }?.contains(named.rawValue) == true)
            #expect(await refusal { _ = try await store.requests(RequestQuery()) }?.contains(named.rawValue) == true)
        }
    }
}
