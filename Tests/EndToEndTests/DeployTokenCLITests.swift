import Foundation
import Testing

@Suite("countersign deploy-token and verify-token against a live countersignd")
struct DeployTokenCLITests {
    @Test("the token written 0600 verifies offline against the served and a saved JWKS for its rollout only; 1 for another commit, 4 without a usable JWKS")
    func tokenVerifiesOffline() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let daemon = try await Daemon.start(scratch: scratch, policies: try scratch.sessionApprovalPolicies())
        let alice = try await daemon.loggedInCLI("alice", scratch: scratch)
        let bob = try await daemon.loggedInCLI("bob", scratch: scratch)
        let dave = try await daemon.loggedInCLI("dave", scratch: scratch)
        let id = try await CLIWalkthroughTests.fileDeploy(alice)
        let early = try await alice.run("deploy-token", id)
        #expect(early.status == 1 && early.standardError.contains("invalid_state"), "not approved yet: \(early.standardError)")
        try await bob.run("approve", id).requireSuccess()
        try await dave.run("approve", id).requireSuccess()

        let file = scratch.path("deploy.jwt")
        let written = try await alice.run("deploy-token", id, "--out", file)
        #expect(written.status == 0 && written.standardOutput.contains("Wrote deploy token"), "\(written.standardError)")
        #expect(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int == 0o600)
        let again = try await alice.run("deploy-token", id, "--out", file)
        #expect(again.status == 2 && again.standardError.contains("could not write"), "an existing file is never overwritten")
        #expect(try await dave.run("deploy-token", id).status == 1, "only the requester gets the token")

        let jwks = daemon.url + "/.well-known/jwks.json"
        let rollout = ["--service", "payments-api", "--environment", "production", "--commit", CLIWalkthroughTests.commit]
        let verified = try await bob.run(["verify-token", "@" + file, "--jwks", jwks] + rollout)
        #expect(verified.status == 0, "\(verified.standardError)")
        #expect(verified.standardOutput.contains("Verified: payments-api to production at \(CLIWalkthroughTests.commit)"))
        #expect(verified.standardOutput.contains("Request \(id) by alice, approved by bob (session), dave (session)"), "\(verified.standardOutput)")
        #expect(verified.standardOutput.contains("Roll out before"))

        let saved = scratch.path("jwks.json")
        try Data(try await SSHCertificateCLITests.fetch(jwks)).write(to: URL(fileURLWithPath: saved))
        let printed = try await alice.run("deploy-token", id)
        try printed.requireSuccess()
        let fromStandardInput = try await bob.run(["verify-token", "-", "--jwks", saved, "--json"] + rollout, input: printed.standardOutput)
        #expect(fromStandardInput.status == 0 && fromStandardInput.standardOutput.contains("\"request_id\""), "\(fromStandardInput.standardError)")

        let otherCommit = try await bob.run(["verify-token", "@" + file, "--jwks", saved, "--service", "payments-api", "--environment", "production", "--commit", String(repeating: "b", count: 40)])
        #expect(otherCommit.status == 1 && otherCommit.standardError.contains("claim_mismatch"), "\(otherCommit.standardError)")
        let tampered = try await bob.run(["verify-token", "-", "--jwks", saved] + rollout, input: String(printed.standardOutput.dropLast(4)) + "AAAA")
        #expect(tampered.status == 1, "\(tampered.standardError)")

        let empty = scratch.path("empty.json")
        try Data(#"{"keys":[]}"#.utf8).write(to: URL(fileURLWithPath: empty))
        let noKeys = try await bob.run(["verify-token", "@" + file, "--jwks", empty] + rollout)
        #expect(noKeys.status == 4 && noKeys.standardError.contains("no_usable_key"), "\(noKeys.standardError)")
        _ = try await daemon.stop()
        let gone = try await bob.run(["verify-token", "@" + file, "--jwks", jwks] + rollout)
        #expect(gone.status == 4, "a JWKS that cannot be fetched: \(gone.standardError)")
        let offline = try await bob.run(["verify-token", "@" + file, "--jwks", saved] + rollout)
        #expect(offline.status == 0, "the saved JWKS needs no gateway: \(offline.standardError)")
    }
}
