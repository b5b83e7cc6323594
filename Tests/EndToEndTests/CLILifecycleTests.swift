import CountersignAPI
import Foundation
import Testing

/// The commands the walkthrough does not reach: SSH requests, cancelling, revoking, the policy
/// explanation, the audit log read online, an online backup and shell completions.
@Suite("The rest of the countersign CLI against a live countersignd")
struct CLILifecycleTests {
    static func decode<Value: Decodable>(_ type: Value.Type, _ result: CommandResult) throws -> Value {
        try result.requireSuccess()
        return try APICoding.makeDecoder().decode(type, from: Data(result.standardOutput.utf8))
    }

    @Test("An SSH request is approved by an SRE, explained with its rule's file and line, and revoked by an admin")
    func sshLifecycle() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let daemon = try await Daemon.start(scratch: scratch)
        let alice = CLI(server: daemon.url, scratch: scratch, user: "alice")
        let dave = CLI(server: daemon.url, scratch: scratch, user: "dave")
        let erin = CLI(server: daemon.url, scratch: scratch, user: "erin")
        for (cli, user) in [(alice, "alice"), (dave, "dave"), (erin, "erin")] { try await cli.login(user) }

        let tooLong = try await alice.run(
            "request", "ssh", "--host", "web-1.prod.internal", "--login", "deploy", "--duration", "5h",
            "--reason", "Look at the stuck settlement worker", "--ticket", "INC-77"
        )
        #expect(tooLong.status == 1)
        #expect(tooLong.standardError.contains("policy_refused"), "\(tooLong.standardError)")

        let filed = try await alice.run(
            "request", "ssh", "--host", "web-1.prod.internal", "--login", "deploy", "--duration", "30m",
            "--reason", "Look at the stuck settlement worker", "--ticket", "INC-77", "--quiet"
        )
        try filed.requireSuccess()
        let id = filed.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)

        let pending = try await alice.run("policy", "explain", id)
        try pending.requireSuccess()
        #expect(pending.standardOutput.contains("rule production-ssh at ssh.yaml:"), "\(pending.standardOutput)")
        #expect(pending.standardOutput.contains("Missing:"))

        let approved = try await Self.decode(RequestView.self, try dave.run("approve", id, "--json"))
        #expect(approved.state == "approved")
        #expect(approved.kind == "ssh")
        let explained = try await Self.decode(ExplanationView.self, try alice.run("policy", "explain", id, "--json"))
        #expect(explained.rule == "production-ssh")
        #expect(explained.missing.isEmpty)

        #expect(try await dave.run("revoke", id, "--reason", "Not mine to take back").status == 1)
        let revoked = try await Self.decode(RequestView.self, try erin.run("revoke", id, "--reason", "Incident closed, access no longer needed", "--json"))
        #expect(revoked.state == "revoked")
        let listed = try await Self.decode(RequestListView.self, try erin.run("requests", "--all", "--state", "revoked", "--json"))
        #expect(listed.requests.map(\.id) == [id])
        #expect(try await alice.run("wait", id).status == 1)
    }

    @Test("Only the requester cancels a pending request, and a cancelled request stays cancelled")
    func cancelling() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let daemon = try await Daemon.start(scratch: scratch)
        let alice = try await daemon.loggedInCLI("alice", scratch: scratch)
        let bob = try await daemon.loggedInCLI("bob", scratch: scratch)
        let id = try await CLIWalkthroughTests.fileDeploy(alice)

        let byReviewer = try await bob.run("cancel", id)
        #expect(byReviewer.status == 1)
        #expect(byReviewer.standardError.contains("forbidden"))
        try await alice.run("cancel", id).requireSuccess()
        #expect(try await Self.decode(RequestView.self, try alice.run("show", id, "--json")).state == "cancelled")
        let again = try await alice.run("cancel", id)
        #expect(again.status == 1)
        #expect(again.standardError.contains("invalid_state"))
        #expect(try await bob.run("approve", id).status == 1)
    }

    @Test("Auditors read, export and verify the log online; others are refused; a live backup verifies")
    func auditOnline() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let daemon = try await Daemon.start(scratch: scratch)
        let alice = try await daemon.loggedInCLI("alice", scratch: scratch)
        let erin = try await daemon.loggedInCLI("erin", scratch: scratch)
        let id = try await CLIWalkthroughTests.fileDeploy(alice)

        let refused = try await alice.run("audit", "tail")
        #expect(refused.status == 1)
        #expect(refused.standardError.contains("forbidden"))

        let tail = try await erin.run("audit", "tail", "-n", "2")
        try tail.requireSuccess()
        let lines = tail.standardOutput.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.last?.contains("request.created  \(id)") == true, "\(tail.standardOutput)")

        let export = try await erin.run("audit", "export", "--format", "jsonl")
        try export.requireSuccess()
        let events = try export.standardOutput.split(separator: "\n").map { try APICoding.makeDecoder().decode(AuditEventView.self, from: Data($0.utf8)) }
        #expect(events.map(\.sequence) == Array(1...Int64(events.count)))
        #expect(events.contains { $0.action == "login.succeeded" && $0.actor == "alice" })
        #expect(!export.standardOutput.contains("alice-demo-pw"))

        let verification = try await Self.decode(AuditVerificationView.self, try erin.run("audit", "verify", "--json"))
        #expect(verification.ok)
        #expect(verification.verifiedEvents >= Int64(events.count))

        // The daemon keeps running: the backup API copies the live WAL database.
        let copy = scratch.path("copy.sqlite")
        try await erin.run("admin", "backup", "--db", daemon.dataDirectory + "/countersign.sqlite", copy).requireSuccess()
        let mode = try FileManager.default.attributesOfItem(atPath: copy)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let offline = try await erin.run("audit", "verify", "--db", copy, "--public-key", daemon.dataDirectory + "/checkpoint-signing.pub")
        #expect(offline.status == 0, "\(offline.standardError)")
    }

    @Test("Shell completion scripts name the commands, for bash, zsh and fish")
    func completions() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let cli = CLI(server: "http://127.0.0.1:1", scratch: scratch, user: "anyone")
        for shell in ["bash", "zsh", "fish"] {
            let script = try await cli.run("--generate-completion-script", shell)
            try script.requireSuccess()
            for command in ["approve", "request", "audit", "policy"] {
                #expect(script.standardOutput.contains(command), "\(shell) completion lacks \(command)")
            }
        }
    }
}
