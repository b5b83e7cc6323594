import CountersignAPI
import Foundation
import Testing
import TestSupport

/// `countersign break-glass` against a live countersignd under the example policies, with its
/// pages going to real receivers on 127.0.0.1: `oncall-pagerduty` (which the example rules page)
/// is a webhook that takes every page, `security-slack` one that refuses every page for good.
@Suite("countersign break-glass against a live countersignd", .timeLimit(.minutes(3)))
struct BreakGlassCLITests {
    static let recorder = "/usr/local/bin/countersign record --gateway http://127.0.0.1:1"

    /// A rule before the examples' own: someone else of sre agrees, in the CLI (no key touch), and
    /// both channels are paged.
    static let agreedRule = """
          - name: agreed-break-glass
            match: { host: "agreed-*.prod.internal", login: "*" }
            on_call: [sre]
            max_duration: 15m
            incident_pattern: "^INC-[0-9]+$"
            agreement: { count: 1, group: sre }
            key_touch: never
            page: [oncall-pagerduty, security-slack]

        """

    struct Gateway {
        let daemon: Daemon
        let pager: HTTPReceiver
        let refusing: HTTPReceiver

        func stop() async {
            _ = try? await daemon.stop()
            await pager.stop()
            await refusing.stop()
        }
    }

    static func start(_ scratch: Scratch) async throws -> Gateway {
        let pager = try await HTTPReceiver.start()
        let refusing = try await HTTPReceiver.start(answering: .status(400, body: "no such hook"))
        let notifications = scratch.path("notifications.yaml")
        try """
            channels:
              oncall-pagerduty:
                kind: webhook
                url: \(pager.url("/pages"))
                secret: a-webhook-secret-of-32-bytes-xyz
              security-slack:
                kind: webhook
                url: \(refusing.url("/pages"))
                secret: a-webhook-secret-of-32-bytes-xyz

            """.write(toFile: notifications, atomically: true, encoding: .utf8)
        // An inline secret is taken only from a file nobody else can read.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: notifications)

        let policies = try policies(withFirst: agreedRule, in: scratch)

        // The longest page wait: both receivers answer at once, so each grant returns as soon as
        // its pages are settled, and how they went never depends on the machine's load.
        let daemon = try await Daemon.start(scratch: scratch, policies: policies.path, extraArguments: [
            "--recorder-command", recorder, "--notifications", notifications, "--break-glass-page-wait", "30s",
        ])
        return Gateway(daemon: daemon, pager: pager, refusing: refusing)
    }

    /// A copy of the example policies with `rule` as the first break-glass rule, so it decides
    /// before the examples' own.
    static func policies(withFirst rule: String, in scratch: Scratch) throws -> URL {
        let policies = scratch.url.appendingPathComponent("policies")
        try FileManager.default.copyItem(at: Binaries.repositoryRoot.appendingPathComponent("policies"), to: policies)
        let rules = policies.appendingPathComponent("break-glass.yaml")
        let text = try String(contentsOf: rules, encoding: .utf8)
        guard let list = text.range(of: "break_glass:\n") else { throw ProcessFailure("policies/break-glass.yaml has no break_glass: line") }
        try text.replacingCharacters(in: list, with: "break_glass:\n" + rule).write(to: rules, atomically: true, encoding: .utf8)
        return policies
    }

    static func ask(host: String, login: String = "deploy", incident: String = "INC-4711", reason: String = "The queue is stuck; restarting the worker") -> [String] {
        ["--host", host, "--login", login, "--incident", incident, "--reason", reason]
    }

    /// The grant id `break-glass open` announced on standard error.
    static func grantID(in result: CommandResult) throws -> String {
        let line = try #require(result.standardError.split(separator: "\n").first { $0.contains("BREAK-GLASS grant ") }, "\(result.standardError)")
        let words = line.split(separator: " ")
        let index = try #require(words.firstIndex(of: "grant"))
        return String(try #require(words.dropFirst(index + 1).first)).trimmingCharacters(in: CharacterSet(charactersIn: ":"))
    }

    @Test("break-glass open --out writes a 0600 key and a recorded certificate for the login, says how its page went, lists as unreviewed, and end revokes it")
    func openListEnd() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let gateway = try await Self.start(scratch)
        let dave = try await gateway.daemon.loggedInCLI("dave", scratch: scratch)
        let erin = try await gateway.daemon.loggedInCLI("erin", scratch: scratch)
        let out = scratch.path("keys")

        let opened = try await dave.run(["break-glass", "open"] + Self.ask(host: "web-1.prod.internal") + ["--duration", "20m", "--out", out])
        #expect(opened.status == 0, "\(opened.standardError)")
        let id = try Self.grantID(in: opened)
        #expect(opened.standardError.contains("Paged oncall-pagerduty: delivered"), "\(opened.standardError)")
        #expect(opened.standardError.contains("Active until"), "\(opened.standardError)")
        let key = out + "/countersign-\(id)"
        #expect(opened.standardOutput.contains("Connect with: ssh -i \(key) deploy@web-1.prod.internal"), "\(opened.standardOutput)")
        #expect(try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int == 0o600)
        #expect(gateway.pager.received.contains { $0.text.contains(id) }, "the page reached its channel before the credential came back")

        let listing = try await Command.run("/usr/bin/ssh-keygen", ["-L", "-f", key + "-cert.pub"])
        try listing.requireSuccess()
        let lines = listing.standardOutput.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let principals = try #require(lines.firstIndex(of: "Principals:"), "\(listing.standardOutput)")
        #expect(lines.dropFirst(principals + 1).first == "deploy", "\(listing.standardOutput)")
        #expect(lines.contains("force-command \(Self.recorder)"), "every session is recorded: \(listing.standardOutput)")

        let unreviewed = try await erin.run("break-glass", "ls", "--unreviewed")
        try unreviewed.requireSuccess()
        let row = try #require(unreviewed.standardOutput.split(separator: "\n").first { $0.hasPrefix(id) }, "\(unreviewed.standardOutput)")
        for column in ["dave", "deploy@web-1.prod.internal", "INC-4711", "active", "due "] {
            #expect(row.contains(column), "\(row)")
        }
        let json = try await erin.run("break-glass", "ls", "--unreviewed", "--json")
        let grants = try APICoding.makeDecoder().decode(BreakGlassListView.self, from: Data(json.standardOutput.utf8)).grants
        #expect(grants.map(\.request.id) == [id])

        let ended = try await dave.run("break-glass", "end", id, "--reason", "Worker restarted")
        #expect(ended.status == 0 && ended.standardOutput.contains("Break-glass grant \(id) is revoked."), "\(ended.standardOutput)\(ended.standardError)")
        let shown = try await erin.run("break-glass", "show", id)
        try shown.requireSuccess()
        #expect(shown.standardOutput.contains("State      revoked"), "\(shown.standardOutput)")
        #expect(shown.standardOutput.contains("Ended      by dave: Worker restarted"), "\(shown.standardOutput)")
        let again = try await dave.run("break-glass", "end", id, "--reason", "Worker restarted")
        #expect(again.status == 1, "an ended grant ends once: \(again.standardError)")
        await gateway.stop()
    }

    @Test("without --out break-glass runs ssh as LOGIN@HOST with the key and certificate in memory files and the arguments after --, and exits with its status")
    func runsSSH() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let gateway = try await Self.start(scratch)
        let carol = try await gateway.daemon.loggedInCLI("carol", scratch: scratch)
        // Stands in for ssh: names its arguments and lists the certificate it was handed.
        let ssh = scratch.path("fake-ssh")
        try """
            #!/bin/sh
            echo "ssh-args: $*"
            for argument in "$@"; do
                case "$argument" in CertificateFile=*) /usr/bin/ssh-keygen -L -f "${argument#CertificateFile=}" ;; esac
            done
            exit 7

            """.write(toFile: ssh, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: ssh)

        let session = try await carol.run(["break-glass"] + Self.ask(host: "web-2.prod.internal", login: "ops") + ["--ssh", ssh, "--", "-p", "2222", "uptime"])
        #expect(session.status == 7, "ssh's own status: \(session.standardError)")
        #expect(session.standardOutput.contains("-o IdentitiesOnly=yes -o IdentityAgent=none ops@web-2.prod.internal -p 2222 uptime"), "\(session.standardOutput)")
        #expect(session.standardOutput.contains("force-command \(Self.recorder)"), "\(session.standardOutput)")
        #expect(session.standardError.contains("Certificate serial"), "\(session.standardError)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path("home-carol")).allSatisfy { !$0.contains("countersign-") }, "no key file left")
        await gateway.stop()
    }

    @Test("a grant that needs someone else's agreement says who must agree, waits for their approval, then writes the certificate; a page that fails is said loudly")
    func waitsForAgreement() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let gateway = try await Self.start(scratch)
        let dave = try await gateway.daemon.loggedInCLI("dave", scratch: scratch)
        let carol = try await gateway.daemon.loggedInCLI("carol", scratch: scratch)
        let erin = try await gateway.daemon.loggedInCLI("erin", scratch: scratch)
        let out = scratch.path("keys")

        async let opening = dave.run(["break-glass"] + Self.ask(host: "agreed-1.prod.internal") + ["--out", out])
        var pending: String?
        let deadline = Date().addingTimeInterval(60)
        while pending == nil, Date() < deadline {
            let listed = try await erin.run("break-glass", "ls", "--json")
            if listed.status == 0, let list = try? APICoding.makeDecoder().decode(BreakGlassListView.self, from: Data(listed.standardOutput.utf8)) {
                pending = list.grants.first { $0.request.state == "pending" }?.request.id
            }
            if pending == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let id = try #require(pending, "the grant shows as awaiting agreement while the command waits")
        try await carol.run("approve", id).requireSuccess()

        let opened = try await opening
        #expect(opened.status == 0, "\(opened.standardError)")
        #expect(try Self.grantID(in: opened) == id)
        #expect(opened.standardError.contains("is not active until someone else agrees: 1 of sre"), "\(opened.standardError)")
        #expect(opened.standardError.contains("with `countersign approve \(id)`"), "\(opened.standardError)")
        #expect(opened.standardError.contains("PAGE FAILED on security-slack"), "\(opened.standardError)")
        #expect(opened.standardError.contains("Grant \(id) is agreed"), "\(opened.standardError)")
        #expect(FileManager.default.fileExists(atPath: out + "/countersign-\(id)-cert.pub"))
        await gateway.stop()
    }

    @Test("refusals: not on call, an incident of the wrong form, too long, no rule and a key touch exit 1 with the gateway's reason; bounds exit 2 before asking; an unreachable gateway 4")
    func refusals() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let gateway = try await Self.start(scratch)
        let bob = try await gateway.daemon.loggedInCLI("bob", scratch: scratch)
        let dave = try await gateway.daemon.loggedInCLI("dave", scratch: scratch)

        let cases: [(CLI, [String], String)] = [
            (bob, Self.ask(host: "web-1.prod.internal"), "break_glass_not_on_call"),
            (dave, Self.ask(host: "web-1.prod.internal", incident: "outage"), "break_glass_incident_mismatch"),
            (dave, Self.ask(host: "web-1.prod.internal") + ["--duration", "1h"], "break_glass_too_long"),
            (dave, Self.ask(host: "web-1.staging.internal"), "break_glass_no_rule"),
        ]
        for (cli, arguments, code) in cases {
            let refused = try await cli.run(["break-glass"] + arguments + ["--out", scratch.path("keys")])
            #expect(refused.status == 1 && refused.standardError.contains(code), "\(code): \(refused.standardError)")
        }
        let touch = try await dave.run(["break-glass"] + Self.ask(host: "db-1.prod.internal", login: "postgres") + ["--out", scratch.path("keys")])
        #expect(touch.status == 1 && touch.standardError.contains("break_glass_key_touch_required"), "\(touch.standardError)")
        #expect(touch.standardError.contains("there is none to touch: the gateway offers no key touch"), "\(touch.standardError)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("keys")), "no refusal wrote anything")

        let longReason = try await dave.run(["break-glass"] + Self.ask(host: "web-1.prod.internal", reason: String(repeating: "r", count: 1025)) + ["--out", scratch.path("keys")])
        #expect(longReason.status == 2 && longReason.standardError.contains("reason"), "\(longReason.standardError)")
        let longIncident = try await dave.run(
            ["break-glass"] + Self.ask(host: "web-1.prod.internal", incident: "INC-" + String(repeating: "9", count: 125)) + ["--out", scratch.path("keys")]
        )
        #expect(longIncident.status == 2 && longIncident.standardError.contains("incident"), "\(longIncident.standardError)")
        let shown = try await dave.run("break-glass", "show", "0123456789abcdefghjk")
        #expect(shown.status == 1, "\(shown.standardError)")

        await gateway.stop()
        let unreachable = try await dave.run(["break-glass"] + Self.ask(host: "web-1.prod.internal") + ["--out", scratch.path("keys")])
        #expect(unreachable.status == 4, "\(unreachable.standardError)")
    }
}
