import CountersignAPI
import CountersignCore
import Foundation
import HTTPTypes
import Testing
import WebAuthnTesting

/// A break-glass grant's page and the reviews page, as the gateway serves them under the example
/// policies (carol is on call, erin audits and administers, dave is an SRE but no reviewer): what
/// the page says about the grant, which controls show for whom, and what each does.
@Suite("Break-glass on the reviewer pages")
struct BreakGlassPagesTests {
    static func breakGlass(_ api: API, as token: String, incident: String = "INC-42", minutes: Int? = nil) async throws -> String {
        let response = try await api.send(.post, "/v1/break-glass", body: BreakGlassAPITests.ask(incident: incident, minutes: minutes), token: token)
        try #require(response.status == .created, "\(String(buffer: response.body))")
        return try api.decode(BreakGlassGrantedView.self, response).grant.request.id
    }

    static func page(_ browser: inout BrowserSession, _ path: String) async throws -> String {
        let response = try await browser.get(path)
        try #require(response.status == .ok, "\(path) answered \(response.status)")
        return String(buffer: response.body)
    }

    /// The ids of the grant rows on a review list, top first, and whether each is marked overdue.
    static func grantRows(_ html: String) -> [(id: String, overdue: Bool)] {
        html.components(separatedBy: #"<li class="request-row grant-row"#).dropFirst().compactMap { row in
            guard let id = row.range(of: #"data-request-id=""#).map({ String(row[$0.upperBound...].prefix { $0 != "\"" }) }) else { return nil }
            return (id, row.hasPrefix(" overdue") && row.contains("OVERDUE"))
        }
    }

    @Test("a grant's page says loudly that it was break-glass, with its incident, rule, user, target, times and review due; its user may end it but not review it")
    func ownersPage() async throws {
        try await BreakGlassAPITests.withGateway { harness, _, _ in try await harness.run { api in
            let id = try await Self.breakGlass(api, as: try await api.login("carol"))
            var carol = try await BrowserSession.loggedIn("carol", on: api)
            let page = try await Self.page(&carol, "/requests/\(id)")
            #expect(page.contains(#"id="break-glass-banner""#) && page.contains("without anyone's approval, for incident <strong>INC-42</strong>"))
            #expect(page.contains("<h1>Break-glass: deploy@web-1.prod.internal for 30 min</h1>"))
            #expect(page.contains(#"<dd id="grant-incident">INC-42</dd>"#) && page.contains(#"<code id="grant-rule">production-break-glass</code>"#))
            #expect(page.contains(#"<dd id="grant-target">deploy@web-1.prod.internal</dd>"#) && page.contains("by session alone (no key touch)"))
            #expect(page.contains(#"id="grant-granted""#) && page.contains(#"id="grant-until""#) && !page.contains(#"id="grant-ending""#))
            #expect(page.contains(#"<p class="state state-approved" id="request-state">Active</p>"#))
            #expect(page.contains(#"<p id="review-due">Review due by"#) && page.contains("from auditors."))
            #expect(page.contains("Sessions are recorded (output and input)."))
            #expect(page.contains(#"id="own-grant""#) && !page.contains(#"id="review-form""#) && !page.contains(#"id="review-needs-key""#))
            #expect(page.contains(#"id="end-form""#) && !page.contains(#"action="/requests/\#(id)/cancel""#))
        } }
    }

    @Test("a reviewer is offered the review form only once they have a usable key; someone neither user, admin nor reviewer does not see the grant at all")
    func reviewersPage() async throws {
        try await BreakGlassAPITests.withGateway { harness, _, _ in try await harness.run { api in
            let id = try await Self.breakGlass(api, as: try await api.login("carol"))
            var erin = try await BrowserSession.loggedIn("erin", on: api)
            let keyless = try await Self.page(&erin, "/requests/\(id)")
            #expect(keyless.contains(#"id="review-needs-key""#) && !keyless.contains(#"id="review-form""#))
            #expect(keyless.contains(#"id="end-form""#), "an admin and reviewer may end it")

            let erinToken = try await api.login("erin")
            _ = try await HardwareKeyAPITests.enrol(api, "erin", token: erinToken, admin: erinToken, authenticator: SoftwareAuthenticator())
            let keyed = try await Self.page(&erin, "/requests/\(id)")
            #expect(keyed.contains(#"<form class="stack" id="review-form" data-ceremony="review" data-request-id="\#(id)" hidden>"#))
            #expect(keyed.contains(#"value="justified""#) && keyed.contains(#"value="unjustified""#))
            #expect(keyed.contains(#"maxlength="\#(BreakGlassReview.maximumNotesLength)""#), "the notes are held to the API's bound")
            #expect(keyed.contains(#"<script src="/static/webauthn.js" defer></script>"#) && !keyed.contains(#"id="own-grant""#))

            var dave = try await BrowserSession.loggedIn("dave", on: api)
            #expect(try await dave.get("/requests/\(id)").status == .notFound)
        } }
    }

    @Test("the reviews page lists the grants waiting on the reviewer at the top, the overdue one first and marked; never to the grant's own user")
    func reviewsPage() async throws {
        try await BreakGlassAPITests.withGateway { harness, _, _ in try await harness.run { api in
            let first = try await Self.breakGlass(api, as: try await api.login("carol"), incident: "INC-1")
            harness.clock.advance(by: 2 * 3600)
            let second = try await Self.breakGlass(api, as: try await api.login("carol"), incident: "INC-2")
            var erin = try await BrowserSession.loggedIn("erin", on: api)
            let inWindow = Self.grantRows(try await Self.page(&erin, "/reviews"))
            #expect(inWindow.map(\.id) == [first, second] && inWindow.allSatisfy { !$0.overdue })

            // A day after the first: its review window has passed, the second's has not.
            harness.clock.advance(by: 23 * 3600)
            erin = try await BrowserSession.loggedIn("erin", on: api)
            let page = try await Self.page(&erin, "/reviews")
            let rows = Self.grantRows(page)
            #expect(rows.map(\.id) == [first, second] && rows.map(\.overdue) == [true, false], "\(rows)")
            #expect(page.contains(#"<span class="overdue-label" id="overdue-summary">1 overdue</span>"#))
            #expect(Self.grantRows(try await Self.page(&erin, "/reviews/list")).map(\.id) == [first, second], "the self-refreshing list agrees")
            let grantPage = try await Self.page(&erin, "/requests/\(first)")
            #expect(grantPage.contains(#"<p class="overdue" id="review-due"><strong class="overdue-label">OVERDUE</strong>: its review was due by"#))

            var carol = try await BrowserSession.loggedIn("carol", on: api)
            let own = try await Self.page(&carol, "/reviews")
            #expect(Self.grantRows(own).isEmpty && own.contains(#"id="nothing-to-review""#))
        } }
    }

    @Test("ending a grant from its page revokes it, and the page says who ended it, in which capacity, why and when")
    func endingFromThePage() async throws {
        try await BreakGlassAPITests.withGateway { harness, _, _ in try await harness.run { api in
            let carolToken = try await api.login("carol")
            let own = try await Self.breakGlass(api, as: carolToken, incident: "INC-7")
            let other = try await Self.breakGlass(api, as: carolToken, incident: "INC-8")
            var carol = try await BrowserSession.loggedIn("carol", on: api)
            let token = try await carol.csrfToken(from: "/requests/\(own)")
            let ended = try await carol.post("/requests/\(own)/end", ["csrf": token, "reason": "Worker restarted"])
            #expect(ended.status == .seeOther && ended.headers[.location] == "/requests/\(own)?notice=ended")
            let page = try await Self.page(&carol, "/requests/\(own)?notice=ended")
            #expect(page.contains("The grant was ended: its certificates are revoked and its pages resolved."))
            #expect(page.contains(#"<dd id="grant-ending">Ended early by carol (its user): Worker restarted (<time"#))
            #expect(page.contains(#"id="request-state">Ended</p>"#) && !page.contains(#"id="end-form""#))
            #expect(try api.decode(BreakGlassGrantView.self, try await api.send(.get, "/v1/break-glass/\(own)", token: carolToken)).request.state == "revoked")

            var erin = try await BrowserSession.loggedIn("erin", on: api)
            let erinsToken = try await erin.csrfToken(from: "/requests/\(other)")
            _ = try await erin.post("/requests/\(other)/end", ["csrf": erinsToken, "reason": "Not this incident"])
            #expect(try await Self.page(&erin, "/requests/\(other)").contains("Ended early by erin (an admin): Not this incident"))

            // Refusals come back as the gateway's message: the grant is no longer open.
            let again = try await carol.post("/requests/\(own)/end", ["csrf": token, "reason": "twice"])
            #expect(again.status == .conflict && String(buffer: again.body).contains("can no longer be ended"))
        } }
    }

    @Test("a grant waiting on a second person's agreement offers that person the agreement, nobody a review yet, and its user the call-off")
    func awaitingAgreement() async throws {
        try await BreakGlassAPITests.withGateway { harness, _, _ in try await harness.run { api in
            let carolToken = try await api.login("carol"), daveToken = try await api.login("dave"), erinToken = try await api.login("erin")
            var carolsKey = SoftwareAuthenticator(), davesKey = SoftwareAuthenticator()
            _ = try await HardwareKeyAPITests.enrol(api, "carol", token: carolToken, admin: erinToken, authenticator: carolsKey)
            _ = try await HardwareKeyAPITests.enrol(api, "dave", token: daveToken, admin: erinToken, authenticator: davesKey)
            let database = BreakGlassAPITests.ask(host: "db-1.prod.internal", login: "postgres")
            let touch = try await BreakGlassAPITests.touch(api, database, token: carolToken, authenticator: &carolsKey)
            let response = try await api.send(.post, "/v1/break-glass", body: BreakGlassAPITests.ask(host: "db-1.prod.internal", login: "postgres", touch: touch), token: carolToken)
            try #require(response.status == .created, "\(String(buffer: response.body))")
            let id = try api.decode(BreakGlassGrantedView.self, response).grant.request.id

            var dave = try await BrowserSession.loggedIn("dave", on: api)
            let agreeing = try await Self.page(&dave, "/requests/\(id)")
            #expect(agreeing.contains(#"id="request-state">Awaiting a second person&#39;s agreement</p>"#), "values are escaped, an apostrophe too")
            #expect(agreeing.contains(#"id="approve-with-key""#) && agreeing.contains(#"id="grant-lapses""#) && !agreeing.contains(#"id="grant-until""#))
            #expect(agreeing.contains("proved with a touch of their own security key") && agreeing.contains("sre: 0 of 1"))
            #expect(!agreeing.contains(#"id="review-form""#) && !agreeing.contains(#"id="end-form""#), "an SRE who is no reviewer neither reviews nor ends it")

            var erin = try await BrowserSession.loggedIn("erin", on: api)
            let auditing = try await Self.page(&erin, "/requests/\(id)")
            #expect(!auditing.contains(#"id="review-form""#) && !auditing.contains(#"id="review-needs-key""#), "nothing to review before it is active")
            #expect(Self.grantRows(try await Self.page(&erin, "/reviews")).isEmpty)

            var carol = try await BrowserSession.loggedIn("carol", on: api)
            let token = try await carol.csrfToken(from: "/requests/\(id)")
            let own = try await Self.page(&carol, "/requests/\(id)")
            #expect(own.contains(#"id="end-form""#) && !own.contains(#"/cancel""#) && !own.contains(#"id="approve-with-key""#))
            _ = try await carol.post("/requests/\(id)/end", ["csrf": token, "reason": "Someone fixed it first"])
            #expect(try await Self.page(&carol, "/requests/\(id)").contains("Called off before anyone agreed, by carol (its user): Someone fixed it first"))
        } }
    }

    @Test("a grant at its expiry says so; once reviewed its page shows the verdict, reviewer and notes, and it leaves the reviews page")
    func expiredAndReviewed() async throws {
        try await BreakGlassAPITests.withGateway { harness, _, _ in try await harness.run { api in
            let id = try await Self.breakGlass(api, as: try await api.login("carol"), minutes: 10)
            harness.clock.advance(by: 600)
            await harness.gateway.sweepExpired()
            let erinToken = try await api.login("erin")
            var key = SoftwareAuthenticator()
            _ = try await HardwareKeyAPITests.enrol(api, "erin", token: erinToken, admin: erinToken, authenticator: key)
            var erin = try await BrowserSession.loggedIn("erin", on: api)
            let expired = try await Self.page(&erin, "/requests/\(id)")
            #expect(expired.contains(#"<dd id="grant-ending">Ended at its expiry (<time"#) && !expired.contains(#"id="end-form""#))
            #expect(expired.contains(#"id="review-form""#), "an ended grant is still reviewed")

            let verdict = BreakGlassReviewBody(verdict: "unjustified", notes: "No incident work in the recording", keyTouch: nil)
            let touch = try await BreakGlassAPITests.reviewTouch(api, id, verdict, token: erinToken, authenticator: &key)
            let reviewed = try await api.send(.post, "/v1/break-glass/\(id)/review", body: BreakGlassReviewBody(verdict: verdict.verdict, notes: verdict.notes, keyTouch: touch), token: erinToken)
            try #require(reviewed.status == .ok, "\(String(buffer: reviewed.body))")
            let page = try await Self.page(&erin, "/requests/\(id)")
            #expect(page.contains(#"<p class="verdict verdict-unjustified" id="review-verdict"><strong>UNJUSTIFIED</strong>, said by erin with a security key"#))
            #expect(page.contains(#"<blockquote class="review-notes" id="review-notes-recorded">No incident work in the recording</blockquote>"#))
            #expect(!page.contains(#"id="review-form""#) && !page.contains(#"id="review-due""#))
            #expect(page.contains("Reviewed by erin: UNJUSTIFIED") && page.contains("Ended at its expiry"))
            #expect(Self.grantRows(try await Self.page(&erin, "/reviews")).isEmpty)
        } }
    }
}
