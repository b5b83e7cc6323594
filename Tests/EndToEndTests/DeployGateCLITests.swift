import CountersignAPI
import Foundation
import Testing

@Suite("countersign check against a live countersignd")
struct DeployGateCLITests {
    @Test("exit 1 until approved, 0 once approved (saying who approved and until when), 1 for another commit, 4 with the gateway gone")
    func gate() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let daemon = try await Daemon.start(scratch: scratch, policies: try scratch.sessionApprovalPolicies())
        let alice = try await daemon.loggedInCLI("alice", scratch: scratch)
        let bob = try await daemon.loggedInCLI("bob", scratch: scratch)
        let dave = try await daemon.loggedInCLI("dave", scratch: scratch)
        let check = ["check", "--service", "payments-api", "--environment", "production", "--commit", CLIWalkthroughTests.commit]

        let nothing = try await alice.run(check)
        #expect(nothing.status == 1 && nothing.standardError.contains("deploy_not_requested"), "\(nothing.standardError)")
        let id = try await CLIWalkthroughTests.fileDeploy(alice)
        let pending = try await alice.run(check)
        #expect(pending.status == 1 && pending.standardError.contains("deploy_pending"), "\(pending.standardError)")
        try await bob.run("approve", id).requireSuccess()
        try await dave.run("approve", id).requireSuccess()

        let approved = try await alice.run(check)
        #expect(approved.status == 0, "\(approved.standardError)")
        #expect(approved.standardOutput.contains("Approved: payments-api to production at \(CLIWalkthroughTests.commit)"))
        #expect(approved.standardOutput.contains("approved by bob (session), dave (session)"), "\(approved.standardOutput)")
        #expect(approved.standardOutput.contains("Roll out before"))
        let json = try await alice.run(check + ["--json"])
        #expect(try JSONDecoder.api.decode(DeployCheckView.self, from: Data(json.standardOutput.utf8)).requestId == id)

        let otherCommit = try await alice.run(["check", "--service", "payments-api", "--environment", "production", "--commit", String(repeating: "b", count: 40)])
        #expect(otherCommit.status == 1 && otherCommit.standardError.contains("deploy_not_requested"))
        let otherEnvironment = try await alice.run(["check", "--service", "payments-api", "--environment", "staging", "--commit", CLIWalkthroughTests.commit])
        #expect(otherEnvironment.status == 1 && otherEnvironment.standardError.contains("deploy_not_requested"))
        let badInput = try await alice.run(["check", "--service", "payments-api", "--environment", "production", "--commit", "main"])
        #expect(badInput.status == 2, "\(badInput.standardError)")

        // Deploy tooling without the scope is refused, whatever was approved.
        let erin = try await daemon.loggedInCLI("erin", scratch: scratch)
        let created = try await erin.run("admin", "token", "create", "--name", "ci-consume-only", "--scope", "deploy:consume", "--json")
        try created.requireSuccess()
        let secret = try JSONDecoder.api.decode(CreatedMachineTokenView.self, from: Data(created.standardOutput.utf8)).secret
        let unscoped = try await CLI(server: daemon.url, scratch: scratch, user: "runner").run(check, token: secret)
        #expect(unscoped.status == 1 && unscoped.standardError.contains("scope_missing"), "\(unscoped.standardError)")

        try await erin.run("revoke", id, "--reason", "Rolled back instead").requireSuccess()
        let revoked = try await alice.run(check)
        #expect(revoked.status == 1 && revoked.standardError.contains("deploy_revoked") && revoked.standardError.contains("Rolled back instead"), "\(revoked.standardError)")
        let again = try await CLIWalkthroughTests.fileDeploy(alice)
        try await dave.run("deny", again, "--reason", "Not during the freeze").requireSuccess()
        let denied = try await alice.run(check)
        #expect(denied.status == 1 && denied.standardError.contains("deploy_denied"), "\(denied.standardError)")

        _ = try await daemon.stop()
        let gone = try await alice.run(check)
        #expect(gone.status == 4, "never proceed when the gateway cannot answer: \(gone.standardError)")
    }

    @Test("deploy tooling spends a single-use approval with --consume --token-out: the token verifies offline, and every later check exits 1")
    func singleUse() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let daemon = try await Daemon.start(scratch: scratch, policies: try scratch.sessionApprovalPolicies(singleUse: true))
        let alice = try await daemon.loggedInCLI("alice", scratch: scratch)
        let erin = try await daemon.loggedInCLI("erin", scratch: scratch)
        let id = try await CLIWalkthroughTests.fileDeploy(alice)
        try await daemon.loggedInCLI("bob", scratch: scratch).run("approve", id).requireSuccess()
        try await daemon.loggedInCLI("dave", scratch: scratch).run("approve", id).requireSuccess()
        let created = try await erin.run("admin", "token", "create", "--name", "ci-payments", "--scope", "deploy:check", "--scope", "deploy:consume", "--service", "payments-*", "--json")
        try created.requireSuccess()
        let secret = try JSONDecoder.api.decode(CreatedMachineTokenView.self, from: Data(created.standardOutput.utf8)).secret
        let runner = CLI(server: daemon.url, scratch: scratch, user: "runner")
        let rollout = ["--service", "payments-api", "--environment", "production", "--commit", CLIWalkthroughTests.commit]

        let looked = try await runner.run(["check"] + rollout, token: secret)
        #expect(looked.status == 0 && looked.standardOutput.contains("Single-use: pass --consume"), "\(looked.standardOutput)\(looked.standardError)")
        let taken = scratch.path("taken.jwt")
        try Data("x".utf8).write(to: URL(fileURLWithPath: taken))
        let occupied = try await runner.run(["check", "--consume", "--token-out", taken] + rollout, token: secret)
        #expect(occupied.status == 2 && occupied.standardError.contains("already exists"), "refused before asking: \(occupied.standardError)")

        let file = scratch.path("deploy.jwt")
        let spent = try await runner.run(["check", "--consume", "--token-out", file] + rollout, token: secret)
        #expect(spent.status == 0, "the file refusal spent nothing: \(spent.standardError)")
        #expect(spent.standardOutput.contains("this single-use approval is now spent") && spent.standardOutput.contains("Wrote deploy token"), "\(spent.standardOutput)")
        #expect(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int == 0o600)
        let verified = try await runner.run(["verify-token", "@" + file, "--jwks", daemon.url + "/.well-known/jwks.json"] + rollout, token: secret)
        #expect(verified.status == 0, "\(verified.standardError)")

        for again in [["check"], ["check", "--consume"], ["check", "--consume", "--token-out", scratch.path("second.jwt")]] {
            let refused = try await runner.run(again + rollout, token: secret)
            #expect(refused.status == 1 && refused.standardError.contains("deploy_consumed") && refused.standardError.contains("machine:ci-payments"), "\(again): \(refused.standardError)")
        }
        #expect(!FileManager.default.fileExists(atPath: scratch.path("second.jwt")))
        let shown = try await alice.run("show", id)
        #expect(shown.standardOutput.contains("Covers    one rollout (single-use)") && shown.standardOutput.contains("Rollout   started by machine:ci-payments"), "\(shown.standardOutput)")
    }
}

private extension JSONDecoder {
    static var api: JSONDecoder { APICoding.makeDecoder() }
}
