import CountersignAPI
import Foundation
import Testing

@Suite("The countersign CLI against a live countersignd")
struct CLIWalkthroughTests {
    static let commit = "0123456789abcdef0123456789abcdef01234567"

    static func fileDeploy(_ cli: CLI) async throws -> String {
        let result = try await cli.run(
            "request", "deploy", "--service", "payments-api", "--environment", "production", "--commit", commit,
            "--reason", "Roll out the settlement rounding fix", "--ticket", "CHG-1042", "--quiet"
        )
        try result.requireSuccess()
        return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("Under the shipped policy a payments deploy takes no approval from the CLI: it needs a key")
    func shippedPolicyNeedsAKey() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let daemon = try await Daemon.start(scratch: scratch)
        let alice = try await daemon.loggedInCLI("alice", scratch: scratch)
        let bob = try await daemon.loggedInCLI("bob", scratch: scratch)
        let id = try await Self.fileDeploy(alice)
        let refused = try await bob.run("approve", id)
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("hardware_key_required"))
        #expect(try await bob.run("approve", "--help").standardOutput.contains("reviewer page"))
    }

    @Test("A requester files a deploy, two reviewers approve it, and wait exits 0")
    func approvalWalkthrough() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let daemon = try await Daemon.start(scratch: scratch, policies: try scratch.sessionApprovalPolicies())
        let alice = try await daemon.loggedInCLI("alice", scratch: scratch)
        let bob = try await daemon.loggedInCLI("bob", scratch: scratch)
        let dave = try await daemon.loggedInCLI("dave", scratch: scratch)

        let whoami = try await APICoding.makeDecoder().decode(IdentityView.self, from: Data(try alice.run("whoami", "--json").standardOutput.utf8))
        #expect(whoami.username == "alice")
        let credentials = try FileManager.default.attributesOfItem(atPath: alice.home + "/countersign/credentials")
        #expect((credentials[.posixPermissions] as? Int) == 0o600)

        let id = try await Self.fileDeploy(alice)
        #expect(id.count == 20)
        let mine = try await APICoding.makeDecoder().decode(RequestListView.self, from: Data(try alice.run("requests", "--mine", "--json").standardOutput.utf8))
        #expect(mine.requests.map(\.id) == [id])
        let reviewable = try await bob.run("requests", "--reviewable")
        #expect(reviewable.standardOutput.contains(id))

        let ownApproval = try await alice.run("approve", id)
        #expect(ownApproval.status == 1)
        #expect(ownApproval.standardError.contains("self_approval"))

        #expect(try await alice.run("wait", id, "--timeout", "1s", "--interval", "0.2").status == 3)
        try await bob.run("approve", id).requireSuccess()
        try await dave.run("approve", id).requireSuccess()
        let waited = try await alice.run("wait", id, "--json")
        #expect(waited.status == 0)
        let approved = try APICoding.makeDecoder().decode(RequestView.self, from: Data(waited.standardOutput.utf8))
        #expect(approved.state == "approved")
        #expect(approved.approvals.map(\.approver) == ["bob", "dave"])

        let shown = try await alice.run("show", id)
        #expect(shown.standardOutput.contains("State     approved"))
        #expect(try await dave.run("approve", id).status == 1)
    }

    @Test("Exit codes: denied is 1, input errors are 2, an unreachable gateway is 4, logged out is 1")
    func exitCodes() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let daemon = try await Daemon.start(scratch: scratch)
        let alice = try await daemon.loggedInCLI("alice", scratch: scratch)
        let dave = try await daemon.loggedInCLI("dave", scratch: scratch)

        let id = try await Self.fileDeploy(alice)
        try await dave.run("deny", id, "--reason", "Change freeze until Monday").requireSuccess()
        #expect(try await alice.run("wait", id).status == 1)

        let badCommit = try await alice.run("request", "deploy", "--service", "payments-api", "--environment", "production", "--commit", "abc", "--reason", "Roll out the fix now", "--ticket", "CHG-1")
        #expect(badCommit.status == 2)
        #expect(badCommit.standardError.contains("commit"))
        let refused = try await alice.run("request", "deploy", "--service", "payments-api", "--environment", "moon", "--commit", Self.commit, "--reason", "Roll out the fix now", "--ticket", "CHG-1")
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("no_matching_rule"))
        #expect(try await alice.run("show", "not-an-id").status == 1)
        #expect(try await alice.run("requests", "--mine", "--reviewable").status == 2)
        #expect(try await alice.run("request", "ssh", "--host", "web-1").status == 2)

        let wrongPassword = try await alice.run("login", "-u", "alice", "--password-stdin", input: "wrong\n")
        #expect(wrongPassword.status == 1)
        #expect(wrongPassword.standardError.contains("invalid_credentials"))

        try await alice.run("logout").requireSuccess()
        #expect(try await alice.run("whoami").status == 1)

        let unreachable = try await Command.run(Binaries.cli.path, ["whoami"], environment: ["XDG_CONFIG_HOME": scratch.path("nobody"), "COUNTERSIGN_SERVER": "http://127.0.0.1:1"])
        #expect(unreachable.status == 1 || unreachable.status == 4)
        let tokenless = try await Command.run(Binaries.cli.path, ["login", "-u", "alice", "--password-stdin"], input: "alice-demo-pw\n", environment: ["XDG_CONFIG_HOME": scratch.path("nobody"), "COUNTERSIGN_SERVER": "http://127.0.0.1:1"])
        #expect(tokenless.status == 4)
    }

    @Test("Policy check and policy test pass on the shipped policies and fail with file:line on a broken one")
    func policyCommands() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let cli = CLI(server: "http://127.0.0.1:1", scratch: scratch, user: "anyone")
        let policies = Binaries.repositoryRoot.appendingPathComponent("policies").path
        let check = try await cli.run("policy", "check", policies)
        #expect(check.status == 0, "\(check.standardOutput)\(check.standardError)")
        let test = try await cli.run("policy", "test", policies)
        #expect(test.status == 0, "\(test.standardOutput)\(test.standardError)")
        #expect(test.standardOutput.contains("0 failed"))

        let broken = scratch.path("broken")
        try FileManager.default.createDirectory(atPath: broken, withIntermediateDirectories: true)
        try "groups:\n  sre: [carol]\n".write(toFile: broken + "/groups.yaml", atomically: true, encoding: .utf8)
        try "rules:\n  - name: r\n    kind: ssh\n    match: {host: \"web-[\"}\n    requesters: [sre]\n    approvals: [{count: 2, group: sre}]\n".write(toFile: broken + "/ssh.yaml", atomically: true, encoding: .utf8)
        let failed = try await cli.run("policy", "check", broken)
        #expect(failed.status == 1)
        #expect(failed.standardOutput.contains("ssh.yaml:4:"))
    }
}
