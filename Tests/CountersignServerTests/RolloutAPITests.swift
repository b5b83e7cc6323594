import CountersignAPI
import DeployTokens
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// The gate's `consume` and `deploy_token`: a single-use approval covers one rollout, its one
/// token comes with the start, and only the requester or deploy tooling with `deploy:consume`
/// may spend it.
@Suite("Rollout starts over the API")
struct RolloutAPITests {
    static let ledger = DeployTokenExpectation(service: "ledger-api", environment: "production", commit: API.commit)

    static func check(_ api: API, token: String?, consume: Bool? = nil, deployToken: Bool? = nil, service: String = "ledger-api") async throws -> TestResponse {
        try await api.send(.post, "/v1/deploys/check", body: DeployCheckBody(
            service: service, environment: "production", commit: API.commit, consume: consume, deployToken: deployToken
        ), token: token)
    }

    /// alice's single-use ledger deploy, approved by dave (sre) with a session.
    static func approvedLedgerDeploy(_ api: API, alice: String, dave: String) async throws -> RequestView {
        let filed = try await api.send(.post, "/v1/requests", body: CreateRequestBody(
            kind: "deploy", service: "ledger-api", environment: "production", commit: API.commit,
            reason: "Roll out the ledger reconciliation fix", ticket: "CHG-2001"
        ), token: alice)
        try #require(filed.status == .created, "\(String(buffer: filed.body))")
        let view = try api.decode(RequestView.self, filed)
        #expect(view.rollout == RolloutView(singleUse: true, startedAt: nil, startedBy: nil), "reviewers see it is single-use")
        let approved = try api.decode(RequestView.self, try await api.act("approve", view.id, token: dave))
        try #require(approved.state == "approved")
        return approved
    }

    static func machineToken(_ api: API, admin: String, name: String, scopes: [String]) async throws -> String {
        let created = try await api.send(.post, "/v1/admin/tokens", body: CreateMachineTokenBody(name: name, scopes: scopes, services: ["ledger-*"]), token: admin)
        try #require(created.status == .created, "\(String(buffer: created.body))")
        return try api.decode(CreatedMachineTokenView.self, created).secret
    }

    @Test("deploy tooling spends a single-use approval once, with its one token; every later use is refused as deploy_consumed")
    func singleUse() async throws {
        let harness = try await GatewayHarness.make(policies: try GatewayHarness.singleUsePolicies())
        try await harness.run { api in
            let alice = try await api.login("alice")
            let dave = try await api.login("dave")
            let erin = try await api.login("erin")
            let approved = try await Self.approvedLedgerDeploy(api, alice: alice, dave: dave)
            let ci = try await Self.machineToken(api, admin: erin, name: "ci-ledger", scopes: ["deploy:check", "deploy:consume"])

            // A plain check leaves it unspent, and says it is single-use.
            let looked = try api.decode(DeployCheckView.self, try await Self.check(api, token: ci))
            #expect(looked.singleUse && looked.rolloutStartedAt == nil && looked.deployToken == nil)
            // Its token comes only with the start: neither the token route nor the gate without consume hands one out.
            let alone = try await Self.check(api, token: ci, deployToken: true)
            #expect(try alone.status == .conflict && api.errorCode(alone) == "invalid_state", "\(String(buffer: alone.body))")
            let route = try await api.send(.post, "/v1/requests/\(approved.id)/deploy-token", token: alice)
            #expect(try route.status == .conflict && api.errorCode(route) == "invalid_state")

            harness.clock.advance(by: 5)
            let started = try await Self.check(api, token: ci, consume: true, deployToken: true)
            #expect(started.status == .ok, "\(String(buffer: started.body))")
            let view = try api.decode(DeployCheckView.self, started)
            #expect(view.rolloutStartedAt == harness.clock.now() && view.rolloutStartedBy == "machine:ci-ledger")
            let token = try #require(view.deployToken)
            let keys = try DeployTokenKeySet(parsing: Array(String(buffer: try await api.send(.get, "/.well-known/jwks.json").body).utf8))
            let claims = try DeployTokenVerifier(keys: keys).verify(token.token, expecting: Self.ledger, at: harness.clock.now())
            #expect(claims.subject == "alice" && claims.requestID == approved.id, "the token is the requester's, taken by the tool")

            for (consume, deployToken) in [(false, false), (true, false), (true, true), (false, true)] {
                let again = try await Self.check(api, token: ci, consume: consume, deployToken: deployToken)
                #expect(try again.status == .forbidden && api.errorCode(again) == "deploy_consumed", "consume \(consume), token \(deployToken)")
                #expect(String(buffer: again.body).contains("machine:ci-ledger"), "the refusal names who spent it")
            }
            let page = try api.decode(RequestView.self, try await api.send(.get, "/v1/requests/\(approved.id)", token: alice))
            #expect(page.rollout?.startedBy == "machine:ci-ledger" && page.state == "approved")

            let audit = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?limit=1000", token: erin)).events
            let spent = audit.filter { $0.subject == approved.id && ["deploy.rollout_started", "credential.issued"].contains($0.action) }
            #expect(spent.map(\.action) == ["deploy.rollout_started", "credential.issued"], "one start, one token: \(spent.map(\.action))")
            #expect(spent.allSatisfy { $0.actor == "machine:ci-ledger" })
            #expect(!audit.contains { $0.details.values.contains(token.token) }, "the token itself is never audited")
        }
    }

    @Test("the request's page says the approval covers one rollout, and when and by whom it was spent")
    func page() async throws {
        let harness = try await GatewayHarness.make(policies: try GatewayHarness.singleUsePolicies())
        try await harness.run { api in
            let alice = try await api.login("alice")
            let approved = try await Self.approvedLedgerDeploy(api, alice: alice, dave: try await api.login("dave"))
            var browser = try await BrowserSession.loggedIn("dave", on: api)
            let before = String(buffer: try await browser.get("/requests/\(approved.id)").body)
            #expect(before.contains("Approval covers") && before.contains("one rollout (single-use)"))
            #expect(!before.contains("Rollout started"))
            #expect(try await Self.check(api, token: alice, consume: true).status == .ok)
            let after = String(buffer: try await browser.get("/requests/\(approved.id)").body)
            #expect(after.contains("Rollout started by alice; the approval is spent"), "\(after)")
        }
    }

    @Test("a burst of checks answered from the last second's read still hears a revocation or an approval made here at once")
    func freshAfterLocalChanges() async throws {
        let harness = try await GatewayHarness.make(policies: try GatewayHarness.singleUsePolicies())
        try await harness.run { api in
            let alice = try await api.login("alice")
            let dave = try await api.login("dave")
            let erin = try await api.login("erin")
            let filed = try await api.send(.post, "/v1/requests", body: CreateRequestBody(
                kind: "deploy", service: "ledger-api", environment: "production", commit: API.commit,
                reason: "Roll out the ledger reconciliation fix", ticket: "CHG-2001"
            ), token: alice)
            let id = try api.decode(RequestView.self, filed).id
            for _ in 0..<3 { #expect(try await api.errorCode(Self.check(api, token: alice)) == "deploy_pending") }
            #expect(try await api.act("approve", id, token: dave).status == .ok)
            for _ in 0..<3 { #expect(try await Self.check(api, token: alice).status == .ok, "the approval is seen at once") }
            #expect(try await api.act("revoke", id, token: erin, reason: "Rolled back instead").status == .ok)
            #expect(try await api.errorCode(Self.check(api, token: alice)) == "deploy_revoked", "the revocation is seen at once")
        }
    }

    @Test("consuming takes deploy:consume, or being the requester; a person may not take another's token")
    func whoMayConsume() async throws {
        let harness = try await GatewayHarness.make(policies: try GatewayHarness.singleUsePolicies())
        try await harness.run { api in
            let alice = try await api.login("alice")
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let erin = try await api.login("erin")
            _ = try await Self.approvedLedgerDeploy(api, alice: alice, dave: dave)
            let checkOnly = try await Self.machineToken(api, admin: erin, name: "ci-check", scopes: ["deploy:check"])
            let unscoped = try await Self.check(api, token: checkOnly, consume: true)
            #expect(try unscoped.status == .forbidden && api.errorCode(unscoped) == "scope_missing")
            let other = try await Self.check(api, token: bob, consume: true, deployToken: true)
            #expect(try other.status == .forbidden && api.errorCode(other) == "forbidden", "\(String(buffer: other.body))")
            #expect(try await Self.check(api, token: checkOnly).status == .ok, "the refusals spent nothing")

            let own = try await Self.check(api, token: alice, consume: true)
            #expect(own.status == .ok, "the requester may start her own rollout")
            #expect(try api.errorCode(try await Self.check(api, token: checkOnly)) == "deploy_consumed")
        }
    }

    @Test("an approval that is not single-use records each start and hands out a token with each check")
    func reusable() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let alice = try await api.login("alice")
            let erin = try await api.login("erin")
            let approved = try await DeployGateAPITests.approvedDeploy(api, alice: alice, bob: try await api.login("bob"), dave: try await api.login("dave"))
            let created = try await api.send(.post, "/v1/admin/tokens", body: CreateMachineTokenBody(name: "ci-payments", scopes: ["deploy:check", "deploy:consume"], services: ["payments-*"]), token: erin)
            let ci = try api.decode(CreatedMachineTokenView.self, created).secret
            var serials: [UInt64] = []
            for _ in 0..<2 {
                let response = try await api.send(.post, "/v1/deploys/check", body: DeployCheckBody(
                    service: "payments-api", environment: "production", commit: API.commit, consume: true, deployToken: true
                ), token: ci)
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let view = try api.decode(DeployCheckView.self, response)
                #expect(!view.singleUse && view.rolloutStartedBy == "machine:ci-payments")
                serials.append(try #require(view.deployToken).serial)
                harness.clock.advance(by: 1)
            }
            #expect(serials[0] < serials[1])
            let audit = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?limit=1000", token: erin)).events
            #expect(audit.filter { $0.subject == approved.id && $0.action == "deploy.rollout_started" }.count == 2)
        }
    }
}
