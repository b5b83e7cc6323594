import CountersignAPI
import Foundation
import Testing

/// The reviewer page of a deploy links to its commit and to the comparison with the commit last
/// approved for the same service and environment, when the rule says where the code lives.
@Suite("Code links on a deploy's page")
struct DeployCodeLinksPageTests {
    static let repository = """
            repository:
              commit_url: "https://git.example.com/acme/{service}/commit/{commit}"
              compare_url: "https://git.example.com/acme/{service}/compare/{from}...{to}"

        """

    /// The harness's policies, whose payments production rule (the first) links to a repository.
    static func policies() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-links-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let policies = try GatewayHarness.sessionApprovalPolicies(in: directory)
        let file = policies.appendingPathComponent("deploy.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        guard let marker = text.range(of: "    hardware_key: false\n") else { throw HarnessError("deploy.yaml lost its session-approval line") }
        try text.replacingCharacters(in: marker, with: "    hardware_key: false\n" + Self.repository).write(to: file, atomically: true, encoding: .utf8)
        return policies
    }

    @Test("the first deploy links to its commit; the next one also to the changes since the first")
    func links() async throws {
        let harness = try await GatewayHarness.make(policies: try Self.policies())
        try await harness.run { api in
            let alice = try await api.login("alice")
            let first = try await api.filePaymentsDeploy(as: alice)
            _ = try await api.act("approve", first.id, token: try await api.login("bob"))
            _ = try await api.act("approve", first.id, token: try await api.login("dave"))
            harness.clock.advance(by: 60)
            let next = String(repeating: "b", count: 40)
            let filed = try await api.send(.post, "/v1/requests", body: CreateRequestBody(
                kind: "deploy", service: "payments-api", environment: "production", commit: next,
                reason: "Roll out the follow-up fix", ticket: "CHG-1043"
            ), token: alice)
            let second = try api.decode(RequestView.self, filed)

            var reviewer = try await BrowserSession.loggedIn("carol", on: api)
            let firstPage = String(buffer: try await reviewer.get("/requests/\(first.id)").body)
            #expect(firstPage.contains(#"href="https://git.example.com/acme/payments-api/commit/\#(API.commit)""#), "\(firstPage)")
            #expect(!firstPage.contains("deploy-compare"), "nothing was approved before the first")
            let secondPage = String(buffer: try await reviewer.get("/requests/\(second.id)").body)
            #expect(secondPage.contains(#"href="https://git.example.com/acme/payments-api/commit/\#(next)""#))
            #expect(secondPage.contains(#"href="https://git.example.com/acme/payments-api/compare/\#(API.commit)...\#(next)""#), "\(secondPage)")
            #expect(secondPage.contains("changes since \(API.commit.prefix(12))"))
        }
    }
}
