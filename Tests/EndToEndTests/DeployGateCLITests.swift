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
        let badInput = try await alice.run(["check", "--service", "payments-api", "--environment", "production", "--commit", "main"])
        #expect(badInput.status == 2, "\(badInput.standardError)")

        _ = try await daemon.stop()
        let gone = try await alice.run(check)
        #expect(gone.status == 4, "never proceed when the gateway cannot answer: \(gone.standardError)")
    }
}

private extension JSONDecoder {
    static var api: JSONDecoder { APICoding.makeDecoder() }
}
