import CountersignAPI
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// What the review from outside found, each kept as a regression test: inputs that crashed the
/// daemon, reached a weaker rule, hid what is approved, or were read two ways.
@Suite("Hostile input: every defect found from outside stays fixed")
struct HostileInputTests {
    static let extremes = [
        "9223372036854775807.00000000000000000000", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
        "99999999999999999999999999999", "1e309", "-1", "0", "NaN", "0x10", "%00", "%E2%80%AE", "..%2F..%2Fetc",
        String(repeating: "9", count: 4000),
    ]

    /// Every query parameter of every route that reads one, and every path parameter.
    static let targets: [String] = [
        "/v1/requests?before=X", "/v1/requests?limit=X", "/v1/requests?q=X", "/v1/requests?scope=X", "/v1/requests?state=X",
        "/v1/requests?scope=reviewable&before=X", "/v1/requests?scope=mine&limit=X",
        "/v1/audit?after=X", "/v1/audit?limit=X", "/v1/audit?last=X",
        "/v1/requests/X", "/v1/requests/X/explain",
        "/history?before=X", "/history?q=X", "/mine?before=X", "/requests/X",
    ]

    @Test("no extreme value in any query or path parameter makes the gateway fail or die")
    func extremeParameters() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let erin = try await api.login("erin")
            var browser = try await BrowserSession.loggedIn("erin", on: api)
            for target in Self.targets {
                for value in Self.extremes {
                    let path = target.replacingOccurrences(of: "X", with: value)
                    let status = target.hasPrefix("/v1/")
                        ? try await api.send(.get, path, token: erin).status
                        : try await browser.get(path).status
                    #expect(status.code < 500, "\(path) answered \(status)")
                }
            }
            #expect(try await api.send(.get, "/healthz").status == .ok)
        }
    }

    @Test("a cursor time out of range is refused with 400, not a trap (the daemon-killing request)")
    func cursorOutOfRange() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let alice = try await api.login("alice")
            let response = try await api.send(.get, "/v1/requests?before=9223372036854775807.00000000000000000000", token: alice)
            #expect(response.status == .badRequest)
            #expect(try api.errorCode(response) == "invalid_field")
            #expect(try await api.send(.get, "/v1/whoami", token: alice).status == .ok)
        }
    }

    @Test("an SSH request for a host spelled in capitals is decided by the rule for that host, not a weaker one")
    func hostCaseDoesNotReachAWeakerRule() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            // alice is an engineer, not an SRE: database-ssh refuses her; production-ssh would not.
            let alice = try await api.login("alice")
            for host in ["Db-1.prod.internal", "DB-1.PROD.INTERNAL", "db-1.prod.internal."] {
                let response = try await api.send(.post, "/v1/requests", body: CreateRequestBody(
                    kind: "ssh", host: host, login: "postgres", durationSeconds: 1800, reason: "Look at the slow query", ticket: "INC-77"
                ), token: alice)
                #expect(response.status == .unprocessableContent, "\(host) answered \(response.status)")
                #expect(String(buffer: response.body).contains("database-ssh"), "\(host): \(String(buffer: response.body))")
            }
            // An SRE's request is filed under the canonical spelling.
            let dave = try await api.login("dave")
            let filed = try await api.send(.post, "/v1/requests", body: CreateRequestBody(
                kind: "ssh", host: "Db-1.Prod.Internal.", login: "postgres", durationSeconds: 1800, reason: "Look at the slow query", ticket: "INC-77"
            ), token: dave)
            #expect(filed.status == .created)
            let view = try api.decode(RequestView.self, filed)
            #expect(view.target.host == "db-1.prod.internal")
            #expect(view.requirement.rule == "database-ssh")
        }
    }

    @Test("a body naming a field twice is refused, however the second name is spelled, and nothing is filed")
    func duplicateKeys() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let alice = try await api.login("alice")
            let bodies = [
                #"{"kind":"deploy","service":"web","environment":"staging","environment":"production","commit":"\#(API.commit)","reason":"Try the new checkout","ticket":"CHG-1"}"#,
                #"{"kind":"deploy","service":"web","environment":"staging","environm\u0065nt":"production","commit":"\#(API.commit)","reason":"Try the new checkout","ticket":"CHG-1"}"#,
                #"{"kind":"deploy","kind":"ssh","service":"web","environment":"staging","commit":"\#(API.commit)","reason":"Try the new checkout","ticket":"CHG-1"}"#,
            ]
            for body in bodies {
                let response = try await api.raw(.post, "/v1/requests", bytes: Array(body.utf8), token: alice)
                #expect(response.status == .badRequest, "\(body)")
                #expect(try api.errorCode(response) == "malformed_body")
                #expect(String(buffer: response.body).contains("appears twice"))
            }
            let nested = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
            #expect(try await api.raw(.post, "/v1/login", bytes: Array(nested.utf8), token: nil).status == .badRequest)
            let listed = try api.decode(RequestListView.self, try await api.send(.get, "/v1/requests?scope=mine", token: alice))
            #expect(listed.requests.isEmpty)
        }
    }

    @Test("the search text is bounded at the length the document states, refused as the caller's mistake")
    func searchBound() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let alice = try await api.login("alice")
            #expect(try await api.send(.get, "/v1/requests?q=" + String(repeating: "a", count: 128), token: alice).status == .ok)
            let over = try await api.send(.get, "/v1/requests?q=" + String(repeating: "a", count: 129), token: alice)
            #expect(over.status == .badRequest)
            #expect(try api.errorCode(over) == "invalid_field")
        }
    }

    @Test("text that would hide what is approved is refused in reasons, tickets and deny reasons")
    func hiddenCharacters() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let alice = try await api.login("alice")
            for (reason, ticket) in [("Deploy \u{202E}gnigats\u{202C} build", "CHG-1"), ("Try the new checkout", "CHG-1\u{200B}"), (String(repeating: "\u{200B}", count: 10), "CHG-1")] {
                let response = try await api.send(.post, "/v1/requests", body: CreateRequestBody(
                    kind: "deploy", service: "web", environment: "staging", commit: API.commit, reason: reason, ticket: ticket
                ), token: alice)
                #expect(response.status == .badRequest)
                #expect(try api.errorCode(response) == "invalid_field")
            }
            let filed = try await api.send(.post, "/v1/requests", body: CreateRequestBody(
                kind: "deploy", service: "web", environment: "staging", commit: API.commit, reason: "Try the new checkout", ticket: "CHG-1"
            ), token: alice)
            let id = try api.decode(RequestView.self, filed).id
            let bob = try await api.login("bob")
            let denied = try await api.act("deny", id, token: bob, reason: "no\u{2028}Approved-by: carol")
            #expect(denied.status == .badRequest)
        }
    }

    @Test("a page of one holds no cursor naming a request the caller may not see")
    func cursorsComeFromVisibleRows() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let alice = try await api.login("alice")
            let mine = try await api.filePaymentsDeploy(as: alice)
            // dave's production SSH request is reviewed by sre: alice (payments, engineering) may not see it.
            let dave = try await api.login("dave")
            let hidden = try api.decode(RequestView.self, try await api.send(.post, "/v1/requests", body: CreateRequestBody(
                kind: "ssh", host: "web-1.prod.internal", login: "deploy", durationSeconds: 1800, reason: "Rotate the web certificates", ticket: "CHG-1043"
            ), token: dave))
            harness.clock.advance(by: 1)
            let page = try api.decode(RequestListView.self, try await api.send(.get, "/v1/requests?limit=1&q=C", token: alice))
            #expect(page.requests.map(\.id) == [mine.id])
            #expect(page.nextCursor.map { !$0.contains(hidden.id) } ?? true)
        }
    }

    @Test("a request edited behind the gateway's back answers a named integrity error, counted, audited once and shown on its page")
    func tamperedContentIsAnIntegrityViolation() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let alice = try await api.login("alice")
            let filed = try await api.filePaymentsDeploy(as: alice)
            try await Tamper.sql(harness.configuration.databasePath, "UPDATE requests SET target = json_set(target, '$.environment', 'staging') WHERE id = '\(filed.id)'")
            for _ in 0..<3 {
                let response = try await api.send(.get, "/v1/requests/\(filed.id)", token: alice)
                #expect(response.status == .internalServerError)
                #expect(try api.errorCode(response) == "integrity_violation")
                #expect(String(buffer: response.body).contains(filed.id))
            }
            var browser = try await BrowserSession.loggedIn("alice", on: api)
            let page = try await browser.get("/requests/\(filed.id)")
            #expect(page.status == .internalServerError)
            #expect(String(buffer: page.body).contains("changed outside the gateway"))

            let metrics = String(buffer: try await api.send(.get, "/metrics").body)
            #expect(metrics.contains("countersign_integrity_violations_total 4"))
            let erin = try await api.login("erin")
            let audit = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?limit=1000", token: erin))
            let alarms = audit.events.filter { $0.action == "integrity.violation" }
            #expect(alarms.map(\.subject) == [filed.id])
            // The sweep still expires every other request: one tampered row does not stop it.
            let other = try await api.filePaymentsDeploy(as: alice)
            harness.clock.advance(by: 5 * 3600)
            await harness.gateway.sweepExpired()
            let swept = try api.decode(RequestView.self, try await api.send(.get, "/v1/requests/\(other.id)", token: erin))
            #expect(swept.state == "expired")
        }
    }
}
