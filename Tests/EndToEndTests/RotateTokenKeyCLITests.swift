import CountersignAPI
import Foundation
import Testing

@Suite("countersign admin rotate-token-key against a live countersignd")
struct RotateTokenKeyCLITests {
    @Test("an admin's rotation puts the next kid in the JWKS; tokens of either key verify against a refreshed JWKS, a JWKS saved before it refuses the new key's")
    func rotation() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let daemon = try await Daemon.start(scratch: scratch, policies: try scratch.sessionApprovalPolicies())
        let alice = try await daemon.loggedInCLI("alice", scratch: scratch)
        let bob = try await daemon.loggedInCLI("bob", scratch: scratch)
        let dave = try await daemon.loggedInCLI("dave", scratch: scratch)
        let erin = try await daemon.loggedInCLI("erin", scratch: scratch)
        let id = try await CLIWalkthroughTests.fileDeploy(alice)
        try await bob.run("approve", id).requireSuccess()
        try await dave.run("approve", id).requireSuccess()
        let jwks = daemon.url + "/.well-known/jwks.json"
        let saved = scratch.path("jwks-before.json")
        try Data(try await SSHCertificateCLITests.fetch(jwks)).write(to: URL(fileURLWithPath: saved))
        let oldToken = scratch.path("old.jwt")
        try await alice.run("deploy-token", id, "--out", oldToken).requireSuccess()

        let refused = try await bob.run("admin", "rotate-token-key", "--switch-after", "0s")
        #expect(refused.status == 1 && refused.standardError.contains("forbidden"), "\(refused.standardError)")
        let outOfRange = try await erin.run("admin", "rotate-token-key", "--switch-after", "31d")
        #expect(outOfRange.status != 0 && outOfRange.standardError.contains("--switch-after"), "\(outOfRange.standardError)")

        let rotation = try await CLILifecycleTests.decode(DeployTokenKeyRotationView.self, try erin.run("admin", "rotate-token-key", "--switch-after", "0s", "--json"))
        #expect(rotation.keys.map(\.generation) == [1, 2])
        let served = String(decoding: try await SSHCertificateCLITests.fetch(jwks), as: UTF8.self)
        #expect(rotation.keys.allSatisfy { served.contains("\"kid\":\"\($0.kid)\"") }, "\(served)")

        let newToken = scratch.path("new.jwt")
        try await alice.run("deploy-token", id, "--out", newToken).requireSuccess()
        let rollout = ["--service", "payments-api", "--environment", "production", "--commit", CLIWalkthroughTests.commit]
        for token in [oldToken, newToken] {
            let verified = try await bob.run(["verify-token", "@" + token, "--jwks", jwks] + rollout)
            #expect(verified.status == 0, "\(token): \(verified.standardError)")
        }
        let stale = try await bob.run(["verify-token", "@" + newToken, "--jwks", saved] + rollout)
        #expect(stale.status == 1 && stale.standardError.contains("unknown_key"), "\(stale.standardError)")

        let next = try await erin.run("admin", "rotate-token-key", "--switch-after", "1h")
        #expect(next.status == 0 && next.standardOutput.contains("Key 3 kid ") && next.standardOutput.contains("Refresh every verifier's JWKS"), "\(next.standardOutput)\(next.standardError)")
        let pending = try await erin.run("admin", "rotate-token-key")
        #expect(pending.status == 1 && pending.standardError.contains("rotation_pending"), "\(pending.standardError)")

        // In an emergency the key signing now is withdrawn at once, pending rotation or not.
        #expect(try await erin.run("admin", "distrust-token-key").status == 2, "only with --yes")
        let distrusted = try await erin.run("admin", "distrust-token-key", "--yes")
        #expect(distrusted.status == 0 && distrusted.standardOutput.contains("withdrawn"), "\(distrusted.standardOutput)\(distrusted.standardError)")
        let withdrawn = try await bob.run(["verify-token", "@" + newToken, "--jwks", jwks] + rollout)
        #expect(withdrawn.status == 1 && withdrawn.standardError.contains("unknown_key"), "the withdrawn key's token is refused: \(withdrawn.standardError)")
        _ = try await daemon.stop()
    }
}
