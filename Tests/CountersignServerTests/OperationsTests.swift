import CountersignAPI
import CountersignServer
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Testing
import Yams

@Suite("Health, readiness, metrics, the API document, policy reloads and failing closed")
struct OperationsTests {
    @Test("healthz answers ok and readyz reports a writable database and the policy fingerprint")
    func healthAndReadiness() async throws {
        try await GatewayHarness.make().run { api in
            let health = try await api.send(.get, "/healthz")
            #expect(health.status == .ok)
            let ready = try await api.send(.get, "/readyz")
            #expect(ready.status == .ok)
            let body = String(buffer: ready.body)
            #expect(body.contains(#""ready":true"#))
            #expect(body.contains(#""database":"writable""#))
        }
    }

    @Test("Metrics count requests by kind and state, logins and audit appends")
    func metrics() async throws {
        try await GatewayHarness.make().run { api in
            let alice = try await api.login("alice")
            _ = try await api.filePaymentsDeploy(as: alice)
            let response = try await api.send(.get, "/metrics")
            #expect(response.status == .ok)
            let text = String(buffer: response.body)
            #expect(text.contains(#"countersign_requests{kind="deploy",state="pending"} 1"#))
            #expect(text.contains(#"countersign_requests{kind="ssh",state="approved"} 0"#))
            #expect(text.contains(#"countersign_logins_total{outcome="succeeded"} 1"#))
            #expect(text.contains(#"countersign_policy_reloads_total{result="succeeded"} 1"#))
            #expect(text.contains("countersign_audit_appends_total 3"))
        }
    }

    @Test("The appends counter counts events, not calls: an approval that completes its request appends two")
    func appendsCountEvents() async throws {
        try await GatewayHarness.make().run { api in
            let alice = try await api.login("alice")
            let filed = try api.decode(RequestView.self, try await api.send(.post, "/v1/requests", body: CreateRequestBody(
                kind: "deploy", service: "web", environment: "staging", commit: API.commit, reason: "Try the new checkout", ticket: "CHG-1"
            ), token: alice))
            let bob = try await api.login("bob")
            let before = try await Self.auditAppends(api)
            #expect(try await api.act("approve", filed.id, token: bob).status == .ok)
            #expect(try await Self.auditAppends(api) == before + 2)
            // A refusal that commits nothing counts nothing.
            #expect(try await api.act("approve", filed.id, token: bob).status == .conflict)
            #expect(try await Self.auditAppends(api) == before + 2)
        }
    }

    static func auditAppends(_ api: API) async throws -> Int {
        let text = String(buffer: try await api.send(.get, "/metrics").body)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("countersign_audit_appends_total ") })
        return try #require(Int(line.split(separator: " ")[1]))
    }

    @Test("Every route the server registers is documented in openapi.yaml, which it serves")
    func everyRouteIsDocumented() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let served = try await api.send(.get, "/openapi.yaml")
            #expect(served.status == .ok)
            let document = try #require(try Yams.load(yaml: String(buffer: served.body)) as? [String: Any])
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: Any])
            for route in harness.gateway.registeredRoutes {
                let operations = paths[route.path] as? [String: Any]
                #expect(operations?[route.method.lowercased()] != nil, "\(route.method) \(route.path) is not in openapi.yaml")
            }
            let documented = paths.flatMap { path, value in ((value as? [String: Any]) ?? [:]).keys.map { "\($0.uppercased()) \(path)" } }
            let registered = Set(harness.gateway.registeredRoutes.map { "\($0.method) \($0.path)" })
            #expect(Set(documented) == registered)
        }
    }

    @Test("Unknown routes and methods answer with the JSON error shape")
    func unknownRoutes() async throws {
        try await GatewayHarness.make().run { api in
            let missing = try await api.send(.get, "/v1/nothing-here")
            #expect(missing.status == .notFound)
            #expect(try api.errorCode(missing) == APIErrorCode.notFound)
        }
    }

    @Test("A method a route does not take answers 405 with the methods it does take, before any login")
    func wrongMethods() async throws {
        try await GatewayHarness.make().run { api in
            let alice = try await api.login("alice")
            let cases: [(HTTPRequest.Method, String, String)] = [
                (.post, "/v1/whoami", "GET, HEAD"),
                (.delete, "/v1/requests", "GET, HEAD, POST"),
                (.put, "/v1/requests/0123456789abcdefghjk", "GET, HEAD"),
                (.get, "/v1/requests/0123456789abcdefghjk/approve", "POST"),
                (.patch, "/v1/login", "POST"),
                (.trace, "/healthz", "GET, HEAD"),
                (.options, "/v1/audit", "GET, HEAD"),
                (try #require(HTTPRequest.Method("QUERY")), "/v1/requests", "GET, HEAD, POST"),
            ]
            for (method, path, allow) in cases {
                for token in [nil, alice] {
                    let response = try await api.send(method, path, token: token)
                    #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                    #expect(response.headers[.allow] == allow, "\(method) \(path)")
                    #expect(try api.errorCode(response) == APIErrorCode.methodNotAllowed)
                }
            }
            #expect(try await api.send(.get, "/v1/whoami", token: alice).status == .ok, "the route's own method still answers")
        }
    }

    @Test("The audit log is readable by auditors only, in order, and verifies")
    func auditAccess() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let alice = try await api.login("alice")
            _ = try await api.filePaymentsDeploy(as: alice)
            let forbidden = try await api.send(.get, "/v1/audit", token: alice)
            #expect(forbidden.status == .forbidden)
            let erin = try await api.login("erin")
            await harness.gateway.writeCheckpoint()
            let page = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit", token: erin))
            #expect(page.events.map(\.sequence) == Array(1...Int64(page.events.count)))
            #expect(page.events.first?.action == "policy.loaded")
            #expect(page.events.contains { $0.action == "request.created" })
            #expect(page.events.last?.action == "audit.checkpoint")
            let last = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?last=2", token: erin))
            #expect(last.events.map(\.sequence) == Array(page.events.suffix(2).map(\.sequence)))
            let verification = try api.decode(AuditVerificationView.self, try await api.send(.get, "/v1/audit/verify", token: erin))
            #expect(verification.ok)
            #expect(verification.checkpoints == 1)
            #expect(verification.verifiedEvents == Int64(page.events.count))
            #expect(try await api.send(.get, "/v1/audit?after=-1", token: erin).status == .badRequest)
        }
    }

    @Test("If the audit append fails, filing a request fails and nothing is stored")
    func auditFailureFailsClosed() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let alice = try await api.login("alice")
            let database = try DatabaseQueue(path: harness.configuration.databasePath)
            try await database.write { db in
                try db.execute(sql: "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
            }
            let response = try await api.send(.post, "/v1/requests", body: CreateRequestBody(
                kind: "deploy", service: "payments-api", environment: "production", commit: API.commit,
                reason: "Roll out the settlement rounding fix", ticket: "CHG-1042"
            ), token: alice)
            #expect(response.status == .serviceUnavailable)
            #expect(try api.errorCode(response) == APIErrorCode.storageUnavailable)
            #expect(!String(buffer: response.body).contains("disk says no"))
            let count = try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM requests") }
            #expect(count == 0)
        }
    }

    @Test("A policy reload that fails keeps the old policy in force, and is counted and audited")
    func failedReloadKeepsOldPolicy() async throws {
        let policies = try GatewayHarness.editablePolicies()
        defer { try? FileManager.default.removeItem(at: policies) }
        let harness = try await GatewayHarness.make(policies: policies)
        try await harness.run { api in
            let before = harness.gateway.policies.current.fingerprint
            try "rules:\n  - name: broken\n    kind: teleport\n    surprise: true\n".write(to: policies.appendingPathComponent("zz-broken.yaml"), atomically: true, encoding: .utf8)
            #expect(await harness.gateway.reloadPolicies() == false)
            #expect(harness.gateway.policies.current.fingerprint == before)
            // The old policy still decides.
            _ = try await api.filePaymentsDeploy(as: try await api.login("alice"))

            try FileManager.default.removeItem(at: policies.appendingPathComponent("zz-broken.yaml"))
            try "rules:\n  - name: sandbox-deploy\n    kind: deploy\n    match: {environment: sandbox}\n    requesters: [\"*\"]\n    approvals: [{count: 1, group: engineering}]\n    hardware_key: false\n".write(to: policies.appendingPathComponent("zz-sandbox.yaml"), atomically: true, encoding: .utf8)
            #expect(await harness.gateway.reloadPolicies())
            #expect(harness.gateway.policies.current.fingerprint != before)

            let metrics = String(buffer: try await api.send(.get, "/metrics").body)
            #expect(metrics.contains(#"countersign_policy_reloads_total{result="failed"} 1"#))
            #expect(metrics.contains(#"countersign_policy_reloads_total{result="succeeded"} 2"#))
            let erin = try await api.login("erin")
            let page = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?limit=1000", token: erin))
            let failure = try #require(page.events.first { $0.action == "policy.reload_failed" })
            #expect(failure.details["diagnostics"]?.contains("zz-broken.yaml") == true)
            #expect(page.events.filter { $0.action == "policy.loaded" }.count == 2)
        }
    }
}
