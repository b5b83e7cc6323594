import CountersignAPI
import CountersignServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("Reviewer pages: sessions, anti-forgery, headers and what each page shows")
struct WebPagesTests {
    // MARK: Logging in

    @Test("Logging in through the form sets an HttpOnly, SameSite=Strict session cookie and goes where asked")
    func loginSetsTheSessionCookie() async throws {
        try await GatewayHarness.make().run { api in
            var browser = BrowserSession(api)
            let form = try await browser.get("/login?next=/history")
            let cookie = try #require(form.headers[.setCookie])
            #expect(cookie.contains("countersign_login=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            #expect(!cookie.contains("Secure"), "over plain http (localhost) the cookie cannot be Secure")
            let page = String(buffer: form.body)
            let posted = try await browser.post("/login", [
                "login_token": try #require(BrowserSession.value(of: "login_token", in: page)),
                "next": try #require(BrowserSession.value(of: "next", in: page)),
                "username": "carol", "password": "carol-demo-pw",
            ])
            #expect(posted.status == .seeOther)
            #expect(posted.headers[.location] == "/history")
            let session = try #require(posted.headers[values: .setCookie].first { $0.hasPrefix("countersign_session=") })
            for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
                #expect(session.contains(attribute), "session cookie lacks \(attribute): \(session)")
            }
            let history = try await browser.get("/history")
            #expect(history.status == .ok)
            #expect(String(buffer: history.body).contains(#"<strong id="signed-in-user">carol</strong>"#))
        }
    }

    @Test("Served over https, the cookies are Secure and carry the __Host- prefix")
    func secureCookiesOverHTTPS() async throws {
        try await GatewayHarness.make { $0.publicURL = "https://countersign.example.com" }.run { api in
            var browser = BrowserSession(api)
            let cookie = try #require(try await browser.get("/login").headers[.setCookie])
            #expect(cookie.hasPrefix("__Host-countersign_login="))
            #expect(cookie.contains("Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"))
        }
    }

    @Test("A login post without the form's own cookie is refused: no one is signed in from another site")
    func loginNeedsTheFormCookie() async throws {
        try await GatewayHarness.make().run { api in
            var browser = BrowserSession(api)
            let refused = try await browser.post("/login", ["login_token": "guessed", "username": "carol", "password": "carol-demo-pw"])
            #expect(refused.status == .forbidden)
            #expect(String(buffer: refused.body).contains("did not come from this gateway"))
            #expect(browser.cookies.keys.contains("countersign_session") == false)
        }
    }

    @Test("A wrong password shows the form again with the gateway's message, keeping the username but never the password")
    func wrongPasswordShowsTheForm() async throws {
        try await GatewayHarness.make().run { api in
            var browser = BrowserSession(api)
            let form = String(buffer: try await browser.get("/login").body)
            let refused = try await browser.post("/login", [
                "login_token": try #require(BrowserSession.value(of: "login_token", in: form)),
                "username": "carol", "password": "not-carols-password",
            ])
            let page = String(buffer: refused.body)
            #expect(refused.status == .unauthorized)
            #expect(page.contains("unknown user or wrong password"))
            #expect(page.contains(#"value="carol""#))
            #expect(!page.contains("not-carols-password"))
        }
    }

    @Test("A next that would leave the gateway is replaced by the home page", arguments: [
        "//evil.example/x", "/\\evil.example", "https://evil.example", "javascript:alert(1)", "/reviews\r\nSet-Cookie: x=1",
    ])
    func nextStaysLocal(next: String) async throws {
        try await GatewayHarness.make().run { api in
            var browser = BrowserSession(api)
            let form = String(buffer: try await browser.get("/login").body)
            let posted = try await browser.post("/login", [
                "login_token": try #require(BrowserSession.value(of: "login_token", in: form)),
                "username": "carol", "password": "carol-demo-pw", "next": next,
            ])
            #expect(posted.status == .seeOther)
            #expect(posted.headers[.location] == "/reviews")
        }
    }

    @Test("A page without a session sends the browser to log in, with the way back")
    func pagesNeedASession() async throws {
        try await GatewayHarness.make().run { api in
            var browser = BrowserSession(api)
            let response = try await browser.get("/requests/0123456789abcdefghij")
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/login?next=/requests/0123456789abcdefghij")
            #expect(try await browser.get("/").headers[.location] == "/login")
        }
    }

    @Test("Logging out ends the session: the old cookie opens no page")
    func logout() async throws {
        try await GatewayHarness.make().run { api in
            var browser = try await BrowserSession.loggedIn("carol", on: api)
            let stolen = browser.cookies
            let out = try await browser.post("/logout", ["csrf": try await browser.csrfToken()])
            #expect(out.status == .seeOther)
            #expect(out.headers[.location] == "/login?notice=logged-out")
            #expect(browser.cookies["countersign_session"] == nil)
            browser.cookies = stolen
            #expect(try await browser.get("/reviews").status == .seeOther)
        }
    }

    // MARK: Anti-forgery

    @Test("Every state-changing form refuses a missing or wrong anti-forgery token and changes nothing", arguments: [
        ("deny", Optional<String>.none), ("deny", "wrong"), ("approve", nil), ("approve", "wrong"), ("cancel", nil), ("cancel", "wrong"),
    ])
    func formsNeedTheToken(action: String, token: String?) async throws {
        try await GatewayHarness.make().run { api in
            let alice = try await api.login("alice")
            let filed = try await api.filePaymentsDeploy(as: alice)
            var reviewer = try await BrowserSession.loggedIn(action == "cancel" ? "alice" : "dave", on: api)
            var fields = ["reason": "forged"]
            fields["csrf"] = token
            let response = try await reviewer.post("/requests/\(filed.id)/\(action)", fields)
            #expect(response.status == .forbidden)
            #expect(String(buffer: response.body).contains(#"id="error-message""#))
            let after = try api.decode(RequestView.self, try await api.send(.get, "/v1/requests/\(filed.id)", token: alice))
            #expect(after.state == "pending" && after.approvals.isEmpty)
        }
    }

    @Test("A logout without the token is refused too: a forged post must not even sign someone out")
    func logoutNeedsTheToken() async throws {
        try await GatewayHarness.make().run { api in
            var browser = try await BrowserSession.loggedIn("carol", on: api)
            #expect(try await browser.post("/logout", [:]).status == .forbidden)
            #expect(try await browser.get("/reviews").status == .ok)
        }
    }

    @Test("A form post without any session goes to the login page and changes nothing")
    func formWithoutSession() async throws {
        try await GatewayHarness.make().run { api in
            let alice = try await api.login("alice")
            let filed = try await api.filePaymentsDeploy(as: alice)
            var stranger = BrowserSession(api)
            let response = try await stranger.post("/requests/\(filed.id)/deny", ["reason": "forged", "csrf": "x"])
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/login")
            let after = try api.decode(RequestView.self, try await api.send(.get, "/v1/requests/\(filed.id)", token: alice))
            #expect(after.state == "pending")
        }
    }

    @Test("Malformed, repeated, oversized or non-form bodies are refused with a clear status", arguments: [
        ("csrf=a&csrf=b", "application/x-www-form-urlencoded", HTTPResponse.Status.badRequest),
        ("reason=%zz", "application/x-www-form-urlencoded", .badRequest),
        ((1...20).map { "f\($0)=x" }.joined(separator: "&"), "application/x-www-form-urlencoded", .badRequest),
        (String(repeating: "a", count: 20_000), "application/x-www-form-urlencoded", .contentTooLarge),
        (#"{"reason":"x"}"#, "application/json", .unsupportedMediaType),
    ])
    func malformedForms(body: String, contentType: String, status: HTTPResponse.Status) async throws {
        try await GatewayHarness.make().run { api in
            var browser = try await BrowserSession.loggedIn("dave", on: api)
            let response = try await browser.post("/requests/0123456789abcdefghij/deny", raw: body, contentType: contentType)
            #expect(response.status == status)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
        }
    }

    @Test("The JSON API takes a browser's session cookie only beside its anti-forgery header")
    func cookieOnTheAPI() async throws {
        try await GatewayHarness.make().run { api in
            var browser = try await BrowserSession.loggedIn("carol", on: api)
            let token = try await browser.csrfToken()
            let bare = try await browser.get("/v1/whoami")
            #expect(bare.status == .unauthorized)
            #expect(String(buffer: bare.body).contains("anti-forgery"))
            #expect(try await browser.get("/v1/whoami", headers: [HTTPField.Name("X-CSRF-Token")!: "wrong"]).status == .unauthorized)
            let good = try await browser.get("/v1/whoami", headers: [HTTPField.Name("X-CSRF-Token")!: token])
            #expect(good.status == .ok)
            #expect(try api.decode(IdentityView.self, good).username == "carol")
        }
    }

    // MARK: Headers and files

    @Test("Every page and fragment carries the security headers", arguments: ["/login", "/reviews", "/reviews/list", "/mine", "/history", "/keys"])
    func securityHeaders(path: String) async throws {
        try await GatewayHarness.make().run { api in
            var browser = try await BrowserSession.loggedIn("carol", on: api)
            let response = try await browser.get(path)
            let policy = try #require(response.headers[HTTPField.Name("Content-Security-Policy")!])
            #expect(policy.contains("frame-ancestors 'none'") && policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"))
            #expect(response.headers[.cacheControl] == "no-store")
            #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
            #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
        }
    }

    @Test("No page has inline script or style: everything comes from the served files")
    func noInlineCode() async throws {
        try await GatewayHarness.make().run { api in
            let alice = try await api.login("alice")
            let filed = try await api.filePaymentsDeploy(as: alice)
            var browser = try await BrowserSession.loggedIn("carol", on: api)
            for path in ["/reviews", "/requests/\(filed.id)", "/keys", "/mine", "/history"] {
                let page = String(buffer: try await browser.get(path).body)
                #expect(!page.contains("<script>") && !page.contains("<style") && !page.contains(" style=") && !page.contains(" onclick="), "\(path)")
                #expect(!page.contains("http://") && !page.contains("https://"), "\(path) refers to another origin")
            }
        }
    }

    @Test("Static files are served by exact name with their type and a validator; nothing else is")
    func staticFiles() async throws {
        try await GatewayHarness.make().run { api in
            var browser = BrowserSession(api)
            let script = try await browser.get("/static/webauthn.js")
            #expect(script.status == .ok)
            #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")
            let tag = try #require(script.headers[.eTag])
            #expect(try await browser.get("/static/webauthn.js", headers: [.ifNoneMatch: tag]).status == .notModified)
            for path in ["/static/missing.js", "/static/..%2FPackage.swift", "/static/", "/static/templates"] {
                #expect(try await browser.get(path).status == .notFound, "\(path)")
            }
        }
    }

    // MARK: What the pages show

    @Test("What a requester types is shown escaped, never as markup")
    func escaping() async throws {
        try await GatewayHarness.make().run { api in
            let alice = try await api.login("alice")
            let response = try await api.send(.post, "/v1/requests", body: CreateRequestBody(
                kind: "deploy", service: "payments-api", environment: "production", commit: API.commit,
                reason: "<script>alert('x')</script> \"quoted\"", ticket: "CHG-1042"
            ), token: alice)
            let filed = try api.decode(RequestView.self, response)
            var browser = try await BrowserSession.loggedIn("carol", on: api)
            for path in ["/requests/\(filed.id)", "/reviews", "/reviews/list"] {
                let page = String(buffer: try await browser.get(path).body)
                #expect(!page.contains("<script>alert"), "\(path)")
                #expect(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &quot;quoted&quot;"), "\(path)")
            }
        }
    }

    @Test("The requester sees no decision on their own request; a reviewer sees approve and deny")
    func decisionControls() async throws {
        try await GatewayHarness.make().run { api in
            let alice = try await api.login("alice")
            let filed = try await api.filePaymentsDeploy(as: alice)
            var requester = try await BrowserSession.loggedIn("alice", on: api)
            let own = String(buffer: try await requester.get("/requests/\(filed.id)").body)
            #expect(own.contains(#"id="own-request""#) && own.contains(#"id="cancel-button""#))
            #expect(!own.contains("approve-with") && !own.contains("/approve") && !own.contains(#"id="deny-form""#))

            var reviewer = try await BrowserSession.loggedIn("bob", on: api)
            let page = String(buffer: try await reviewer.get("/requests/\(filed.id)").body)
            #expect(page.contains(#"id="approve-with-session""#) && page.contains(#"id="deny-form""#))
            #expect(page.contains("payments-owners: 0 of 1 · sre: 0 of 1"))
            #expect(page.contains(String(filed.contentDigest.prefix(12))))
            #expect(!page.contains(#"id="approve-with-key""#), "bob has no enrolled key")
        }
    }

    @Test("Approving and denying through the forms is recorded like the API's, and the page says so")
    func approveAndDenyThroughForms() async throws {
        try await GatewayHarness.make().run { api in
            let alice = try await api.login("alice")
            let first = try await api.filePaymentsDeploy(as: alice)
            var bob = try await BrowserSession.loggedIn("bob", on: api)
            let approved = try await bob.post("/requests/\(first.id)/approve", ["csrf": try await bob.csrfToken()])
            #expect(approved.status == .seeOther)
            #expect(approved.headers[.location] == "/requests/\(first.id)?notice=approved")
            let shown = String(buffer: try await bob.get("/requests/\(first.id)?notice=approved").body)
            #expect(shown.contains("Your approval was recorded.") && shown.contains("Approved by bob with a session"))

            let second = try await api.filePaymentsDeploy(as: alice)
            var dave = try await BrowserSession.loggedIn("dave", on: api)
            let denied = try await dave.post("/requests/\(second.id)/deny", ["csrf": try await dave.csrfToken(), "reason": "Not during the freeze"])
            #expect(denied.status == .seeOther)
            let after = try api.decode(RequestView.self, try await api.send(.get, "/v1/requests/\(second.id)", token: alice))
            #expect(after.state == "denied" && after.denial?.reason == "Not during the freeze")

            let again = try await dave.post("/requests/\(second.id)/deny", ["csrf": try await dave.csrfToken(), "reason": "twice"])
            #expect(again.status == .conflict)
            #expect(String(buffer: again.body).contains(#"href="/requests/\#(second.id)""#), "the error page leads back to the request")
        }
    }

    @Test("A notice is chosen from a fixed list: the query string cannot make the page say anything else")
    func noticesAreFixed() async throws {
        try await GatewayHarness.make().run { api in
            var browser = try await BrowserSession.loggedIn("carol", on: api)
            let page = String(buffer: try await browser.get("/reviews?notice=%3Cb%3Eyou%20won%3C/b%3E").body)
            #expect(!page.contains("you won") && !page.contains(#"id="notice""#))
        }
    }

    @Test("The list to review holds what the caller may approve now, and its fragment is the same list")
    func reviewList() async throws {
        try await GatewayHarness.make().run { api in
            let alice = try await api.login("alice")
            let filed = try await api.filePaymentsDeploy(as: alice)
            var carol = try await BrowserSession.loggedIn("carol", on: api)
            #expect(String(buffer: try await carol.get("/reviews").body).contains(#"data-request-id="\#(filed.id)""#))
            let fragment = String(buffer: try await carol.get("/reviews/list").body)
            #expect(fragment.contains(#"data-request-id="\#(filed.id)""#) && !fragment.contains("<html"))
            var requester = try await BrowserSession.loggedIn("alice", on: api)
            #expect(String(buffer: try await requester.get("/reviews/list").body).contains(#"id="nothing-to-review""#))
        }
    }

    @Test("History keeps expired requests and finds them by search; my requests lists my own")
    func historyAndMine() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let alice = try await api.login("alice")
            let lapsed = try await api.filePaymentsDeploy(as: alice)
            harness.clock.advance(by: 4 * 3600 + 1)
            await harness.gateway.sweepExpired()
            let open = try await api.filePaymentsDeploy(as: alice)
            var carol = try await BrowserSession.loggedIn("carol", on: api)
            let history = String(buffer: try await carol.get("/history?q=\(lapsed.id)").body)
            #expect(history.contains(#"data-request-id="\#(lapsed.id)""#) && history.contains("Expired"))
            #expect(!history.contains(#"data-request-id="\#(open.id)""#), "a pending request is not history")
            let missing = String(buffer: try await carol.get("/history?q=CHG-9999").body)
            #expect(missing.contains(#"id="no-requests""#))
            #expect(try await carol.get("/history?q=\(String(repeating: "x", count: 200))").status == .badRequest)
            #expect(try await carol.get("/history?before=not-a-cursor").status == .badRequest)

            var requester = try await BrowserSession.loggedIn("alice", on: api)
            let mine = String(buffer: try await requester.get("/mine").body)
            #expect(mine.contains(lapsed.id) && mine.contains(open.id))
        }
    }

    @Test("The keys page lists the user's keys and offers enrolment only when keys can be verified")
    func keysPage() async throws {
        try await GatewayHarness.make { $0.publicURL = nil }.run { api in
            var browser = try await BrowserSession.loggedIn("carol", on: api)
            let page = String(buffer: try await browser.get("/keys").body)
            #expect(page.contains(#"id="no-keys""#) && page.contains("--public-url") && !page.contains(#"id="enrol-form""#))
        }
        try await GatewayHarness.make { $0.publicURL = "http://localhost:8080" }.run { api in
            var browser = try await BrowserSession.loggedIn("carol", on: api)
            let page = String(buffer: try await browser.get("/keys").body)
            #expect(page.contains(#"id="enrol-form""#) && page.contains(#"src="/static/webauthn.js""#))
        }
    }
}
