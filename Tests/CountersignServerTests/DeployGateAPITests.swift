import CountersignAPI
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// The deploy gate over HTTP: 200 only for an approved, open request for exactly the rollout; a
/// named 403 for every other history; never a 200 for input it cannot read.
@Suite("The deploy gate over the API")
struct DeployGateAPITests {
    static func check(_ api: API, token: String?, service: String = "payments-api", environment: String = "production", commit: String = API.commit) async throws -> TestResponse {
        try await api.send(.post, "/v1/deploys/check", body: DeployCheckBody(service: service, environment: environment, commit: commit), token: token)
    }

    /// alice's payments production deploy, approved by bob (owner) and dave (sre) with sessions.
    static func approvedDeploy(_ api: API, alice: String, bob: String, dave: String) async throws -> RequestView {
        let filed = try await api.filePaymentsDeploy(as: alice)
        _ = try await api.act("approve", filed.id, token: bob)
        let approved = try api.decode(RequestView.self, try await api.act("approve", filed.id, token: dave))
        try #require(approved.state == "approved")
        return approved
    }

    @Test("approved: 200 with who approved and until when; every other commit, environment or service is refused")
    func approved() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let alice = try await api.login("alice")
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            #expect(try await api.errorCode(Self.check(api, token: alice)) == "deploy_not_requested")
            let pendingFiled = try await api.filePaymentsDeploy(as: alice)
            let pending = try await Self.check(api, token: alice)
            #expect(try pending.status == .forbidden && api.errorCode(pending) == "deploy_pending", "\(String(buffer: pending.body))")
            #expect(try await api.act("cancel", pendingFiled.id, token: alice).status == .ok)
            harness.clock.advance(by: 1)
            let approved = try await Self.approvedDeploy(api, alice: alice, bob: bob, dave: dave)

            let response = try await Self.check(api, token: alice)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let view = try api.decode(DeployCheckView.self, response)
            #expect(view.approved && view.requestId == approved.id && view.requester == "alice")
            #expect(view.approvals.map(\.approver) == ["bob", "dave"] && view.approvals.allSatisfy { $0.method == "session" })
            #expect(view.accessExpiresAt == approved.accessExpiresAt)

            for (service, environment, commit) in [
                ("payments-api", "production", String(repeating: "a", count: 40)),
                ("payments-api", "staging", API.commit),
                ("payments-web", "production", API.commit),
            ] {
                let other = try await Self.check(api, token: alice, service: service, environment: environment, commit: commit)
                #expect(try other.status == .forbidden && api.errorCode(other) == "deploy_not_requested", "\(service) \(environment) \(commit)")
            }
            #expect(try await Self.check(api, token: dave).status == .ok, "anyone logged in may ask")
        }
    }

    @Test("expired, revoked and denied are refused with their own codes, each saying why")
    func refusals() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let alice = try await api.login("alice")
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let erin = try await api.login("erin")
            let filed = try await Self.approvedDeploy(api, alice: alice, bob: bob, dave: dave)
            #expect(try await api.act("revoke", filed.id, token: erin, reason: "Rolled back instead").status == .ok)
            let revoked = try await Self.check(api, token: alice)
            #expect(try api.errorCode(revoked) == "deploy_revoked")
            #expect(String(buffer: revoked.body).contains("revoked by erin: Rolled back instead"))

            // The latest request speaks once no approval is open: each is filed a moment later.
            harness.clock.advance(by: 1)
            let again = try await api.filePaymentsDeploy(as: alice)
            #expect(try await api.act("deny", again.id, token: dave, reason: "Not during the freeze").status == .ok)
            let denied = try await Self.check(api, token: alice)
            #expect(try api.errorCode(denied) == "deploy_denied" && String(buffer: denied.body).contains("Not during the freeze"))

            harness.clock.advance(by: 1)
            let approved = try await Self.approvedDeploy(api, alice: alice, bob: bob, dave: dave)
            #expect(try await Self.check(api, token: alice).status == .ok)
            harness.clock.set(try #require(approved.accessExpiresAt))
            let fresh = try await api.login("alice")
            #expect(try await api.errorCode(Self.check(api, token: fresh)) == "deploy_expired", "the window's end closes it, sweep or not")
        }
    }

    @Test("deploy tooling checks with a machine token scoped deploy:check for the service; any other token is refused")
    func machineTokens() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let alice = try await api.login("alice")
            _ = try await Self.approvedDeploy(api, alice: alice, bob: try await api.login("bob"), dave: try await api.login("dave"))
            let erin = try await api.login("erin")
            func token(_ name: String, scopes: [String], services: [String]? = nil) async throws -> String {
                let created = try await api.send(.post, "/v1/admin/tokens", body: CreateMachineTokenBody(name: name, scopes: scopes, services: services), token: erin)
                try #require(created.status == .created, "\(String(buffer: created.body))")
                return try api.decode(CreatedMachineTokenView.self, created).secret
            }
            let ci = try await token("ci-payments", scopes: ["deploy:check"], services: ["payments-*"])
            #expect(try await Self.check(api, token: ci).status == .ok)
            let other = try await Self.check(api, token: ci, service: "search-api")
            #expect(try other.status == .forbidden && api.errorCode(other) == "service_not_allowed")
            let consumeOnly = try await token("ci-consume", scopes: ["deploy:consume"])
            let unscoped = try await Self.check(api, token: consumeOnly)
            #expect(try unscoped.status == .forbidden && api.errorCode(unscoped) == "scope_missing")
            let unknown = try await Self.check(api, token: "csm_" + String(repeating: "A", count: 43))
            #expect(unknown.status == .unauthorized)
            #expect(try await api.send(.post, "/v1/admin/tokens/ci-payments/revoke", token: erin).status == .ok)
            #expect(try await Self.check(api, token: ci).status == .unauthorized, "revoked at once on this gateway")
        }
    }

    @Test("no session, a malformed body or an extreme value is refused with its status, never a 200")
    func abuse() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            #expect(try await Self.check(api, token: nil).status == .unauthorized)
            let alice = try await api.login("alice")
            for (service, environment, commit) in [
                ("Payments-API", "production", API.commit), ("payments-api", "production", String(API.commit.dropLast())),
                ("payments-api", "production", API.commit.uppercased()), (String(repeating: "a", count: 65), "production", API.commit),
                ("payments-api", "prod\u{202E}", API.commit), ("payments-api", "", API.commit),
            ] {
                let refused = try await Self.check(api, token: alice, service: service, environment: environment, commit: commit)
                #expect(refused.status == .badRequest, "\(service) \(environment) \(commit): \(refused.status)")
            }
            for body in [#"{"service":"payments-api"}"#, "[]", #"{"service":1,"environment":"production","commit":"x"}"#,
                         #"{"service":"payments-api","service":"payments-web","environment":"production","commit":"\#(API.commit)"}"#] {
                let refused = try await api.raw(.post, "/v1/deploys/check", bytes: Array(body.utf8), token: alice)
                #expect(refused.status == .badRequest, "\(body)")
            }
            let large = try await api.raw(.post, "/v1/deploys/check", bytes: Array(repeating: UInt8(ascii: " "), count: 2_000_000), token: alice)
            #expect(large.status == .contentTooLarge)
        }
    }
}
