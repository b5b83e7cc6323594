import CountersignAPI
import Foundation
import Testing

@Suite("Machine tokens with a live countersignd and the CLI")
struct MachineTokenCLITests {
    @Test("an admin makes, lists and revokes a token; COUNTERSIGN_TOKEN goes before the saved login, a malformed one is an error, and no person's command takes it")
    func lifecycle() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let daemon = try await Daemon.start(scratch: scratch)
        let erin = try await daemon.loggedInCLI("erin", scratch: scratch)
        let alice = try await daemon.loggedInCLI("alice", scratch: scratch)

        let refused = try await alice.run("admin", "token", "create", "--name", "alices", "--scope", "deploy:check")
        #expect(refused.status == 1 && refused.standardError.contains("forbidden"), "\(refused.standardError)")
        let unknownScope = try await erin.run("admin", "token", "create", "--name", "ci", "--scope", "deploy:everything")
        #expect(unknownScope.status == 2 && unknownScope.standardError.contains("unknown scope"), "\(unknownScope.standardError)")
        let tooLong = try await erin.run("admin", "token", "create", "--name", "ci", "--scope", "deploy:check", "--expires-in", "400d")
        #expect(tooLong.status == 2, "\(tooLong.standardError)")

        let made = try await erin.run(
            "admin", "token", "create", "--name", "ci-payments", "--scope", "deploy:check", "--service", "payments-*", "--expires-in", "30d", "--json"
        )
        #expect(made.status == 0, "\(made.standardError)")
        let created = try APICoding.makeDecoder().decode(CreatedMachineTokenView.self, from: Data(made.standardOutput.utf8))
        #expect(created.token.services == ["payments-*"] && created.token.scopes == ["deploy:check"])
        let text = try await erin.run("admin", "token", "create", "--name", "ci-web", "--scope", "deploy:check")
        #expect(text.status == 0, "\(text.standardError)")
        let printedSecret = try #require(text.standardOutput.split(separator: "\n").first { $0.hasPrefix("csm_") })
        #expect(text.standardOutput.contains("COUNTERSIGN_TOKEN") && text.standardOutput.contains("machine:ci-web"))

        let list = try await erin.run("admin", "token", "list")
        #expect(list.status == 0 && list.standardOutput.contains("ci-payments") && list.standardOutput.contains("ci-web"), "\(list.standardOutput)")
        #expect(!list.standardOutput.contains("csm_"))

        // A CI runner: no saved login, the secret in the environment.
        let runner = CLI(server: daemon.url, scratch: scratch, user: "runner")
        let asMachine = try await runner.run(["whoami"], token: created.secret)
        #expect(asMachine.status == 1 && asMachine.standardError.contains("machine_token_refused"), "\(asMachine.standardError)")
        #expect(!asMachine.standardError.contains("countersign login`;"), "no advice to log in again for a machine")
        let preferred = try await erin.run(["admin", "token", "list"], token: String(printedSecret))
        #expect(preferred.status == 1 && preferred.standardError.contains("machine_token_refused"), "the token goes before erin's login: \(preferred.standardError)")
        for malformed in ["", "cs1_not-a-machine-token", String(created.secret.dropLast())] {
            let result = try await erin.run(["whoami"], token: malformed)
            #expect(result.status == 2 && result.standardError.contains("COUNTERSIGN_TOKEN"), "\(result.standardError)")
            #expect(malformed.isEmpty || !result.standardError.contains(malformed), "never echoed")
        }

        let revoked = try await erin.run("admin", "token", "revoke", "ci-payments")
        #expect(revoked.status == 0 && revoked.standardOutput.contains("revoked (by erin"), "\(revoked.standardOutput)")
        let again = try await erin.run("admin", "token", "revoke", "ci-payments")
        #expect(again.status == 0, "revoking twice is not an error: \(again.standardError)")
        let missing = try await erin.run("admin", "token", "revoke", "ci-nobody")
        #expect(missing.status == 1 && missing.standardError.contains("not_found"))
        let listed = try APICoding.makeDecoder().decode(MachineTokenListView.self, from: Data(try await erin.run("admin", "token", "list", "--json").standardOutput.utf8))
        #expect(listed.tokens.map(\.state) == ["revoked", "active"])
        let taken = try await erin.run("admin", "token", "create", "--name", "ci-payments", "--scope", "deploy:check")
        #expect(taken.status == 1 && taken.standardError.contains("token_name_taken"), "\(taken.standardError)")

        let audit = try await erin.run("audit", "export", "--format", "jsonl")
        #expect(audit.status == 0 && audit.standardOutput.contains("machine_token.created") && audit.standardOutput.contains("machine_token.revoked"))
        #expect(!audit.standardOutput.contains(String(created.secret.dropFirst(4))) && !audit.standardOutput.contains(String(printedSecret.dropFirst(4))))
    }
}

extension CLI {
    /// The CLI as a pipeline runs it: `token` in COUNTERSIGN_TOKEN.
    func run(_ arguments: [String], token: String) async throws -> CommandResult {
        try await Command.run(
            Binaries.cli.path, arguments, environment: ["XDG_CONFIG_HOME": home, "COUNTERSIGN_SERVER": server, "COUNTERSIGN_TOKEN": token]
        )
    }
}
