import AsyncHTTPClient
import Crypto
import CountersignAPI
import Foundation
import Glibc
import NIOCore
import PostgresTesting
import Testing
import TestSupport
import WebAuthn
import WebAuthnTesting

/// Break-glass from end to end, on each storage backend, with the real OpenSSH and real receivers
/// on 127.0.0.1: the page reaches a PagerDuty Events v2 receiver before the CLI has the
/// certificate, the session through the real sshd is recorded by the forced recorder, what was
/// typed too, the paging service's signed webhook ends the grant (KRL, resolve), an auditor
/// reviews it with a key, and the audit chain holds every step.
@Suite("Break-glass sessions through the real sshd, on both backends", .timeLimit(.minutes(4)))
struct BreakGlassSessionTests {
    enum Backend: String, CaseIterable, Sendable {
        case sqlite
        case postgres

        /// What countersignd is told to select this backend (SQLite is the default).
        func arguments() async throws -> [String] {
            switch self {
            case .sqlite: return []
            case .postgres:
                let name = try await PostgresServer.createDatabase()
                return ["--database", "postgres://\(PostgresServer.user)@127.0.0.1:\(try await PostgresServer.cluster().port)/\(name)"]
            }
        }
    }

    static let routingKey = "R0UT1NGKEY0123456789ABCDEF012345"
    static let webhookSecret = "pagerduty-webhook-secret-0123456789"

    struct Gateway {
        let daemon: Daemon
        let pager: HTTPReceiver
        let slack: HTTPReceiver
        let spool: String
        let arguments: [String]

        func stop() async {
            _ = try? await daemon.stop()
            await pager.stop()
            await slack.stop()
        }
    }

    /// A gateway under the example policies whose certificates force the real recorder, paging
    /// `oncall-pagerduty` as PagerDuty Events v2 and `security-slack` as a Slack webhook.
    static func start(_ scratch: Scratch, on backend: Backend, pager answer: HTTPReceiver.Answer = .accept) async throws -> Gateway {
        let pager = try await HTTPReceiver.start(answering: answer)
        let slack = try await HTTPReceiver.start(answering: .status(200, body: "ok"))
        let notifications = scratch.path("notifications.yaml")
        try """
            channels:
              oncall-pagerduty:
                kind: pagerduty
                routing_key: \(routingKey)
                events_url: \(pager.url("/v2/enqueue"))
              security-slack:
                kind: slack
                webhook_url: \(slack.url("/services/T0/B0/secret"))
            incident_webhook:
              secret: \(webhookSecret)

            """.write(toFile: notifications, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: notifications)
        let port = try LoopbackPort.free()
        let spool = scratch.path("spool")
        let recorder = "\(Binaries.cli.path) record --gateway http://127.0.0.1:\(port) --spool-dir \(spool) --upload-grace 20"
        let arguments = try await backend.arguments() + [
            "--listen", "127.0.0.1:\(port)", "--recorder-command", recorder, "--notifications", notifications,
            "--break-glass-page-wait", "30s", "--public-url", "http://localhost:8080",
        ]
        let daemon = try await Daemon.start(scratch: scratch, extraArguments: arguments)
        return Gateway(daemon: daemon, pager: pager, slack: slack, spool: spool, arguments: arguments)
    }

    static func ask(host: String = "rec-1.prod.internal", incident: String = "INC-4711") -> [String] {
        ["--host", host, "--login", SSHServer.localUser, "--incident", incident, "--reason", "Payments queue stuck; restarting the worker"]
    }

    /// The JSON bodies the PagerDuty receiver took, in order.
    static func events(_ receiver: HTTPReceiver) throws -> [[String: Any]] {
        try receiver.received.map { try #require(try JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any]) }
    }

    /// Waits, bounded, until `receiver` holds `count` requests: a real dispatcher sends in its own time.
    static func awaitReceived(_ receiver: HTTPReceiver, count: Int, polls: Int = 600) async throws {
        for _ in 0..<polls where receiver.received.count < count {
            try await Task.sleep(for: .milliseconds(50))
        }
        try #require(receiver.received.count >= count, "\(receiver.received.map(\.text))")
    }

    static func grant(_ id: String, _ cli: CLI) async throws -> BreakGlassGrantView {
        let shown = try await cli.run("break-glass", "show", id, "--json")
        try shown.requireSuccess()
        return try APICoding.makeDecoder().decode(BreakGlassGrantView.self, from: Data(shown.standardOutput.utf8))
    }

    /// PagerDuty's v3 webhook that incident `number` is resolved, signed as PagerDuty signs it.
    static func resolved(incident number: Int, at time: Date) -> (body: [UInt8], signature: String) {
        let body = Array("""
            {"event":{"id":"01EVT\(number)","event_type":"incident.resolved","resource_type":"incident","occurred_at":"\(ISO8601DateFormatter().string(from: time))","data":{"id":"PINC\(number)","type":"incident","number":\(number),"status":"resolved"}}}
            """.utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(webhookSecret.utf8)))
        return (body, "v1=" + Data(mac).map { String(format: "%02x", $0) }.joined())
    }

    static func post(_ webhook: (body: [UInt8], signature: String), to url: String) async throws -> UInt {
        var request = HTTPClientRequest(url: url + "/v1/webhooks/pagerduty")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-PagerDuty-Signature", value: webhook.signature)
        request.body = .bytes(ByteBuffer(bytes: webhook.body))
        return try await HTTPClient.shared.execute(request, timeout: .seconds(10)).status.code
    }

    /// erin's verdict on `id`, signed by her enrolled key over exactly that verdict.
    static func review(_ id: String, _ verdict: BreakGlassReviewBody, token: String, key: inout SoftwareAuthenticator, at url: String) async throws {
        let options = try APICoding.makeDecoder().decode(
            AssertionOptionsView.self, from: try await DurabilityTests.post(url + "/v1/break-glass/\(id)/review-challenge", verdict, token: token)
        )
        let signed = try key.sign(challenge: options.challenge)
        let touch = AssertionBody(
            ceremonyId: options.ceremonyId, credentialId: Base64URL.encode(key.credentialID), authenticatorData: Base64URL.encode(signed.authenticatorData),
            clientDataJSON: Base64URL.encode(signed.clientDataJSON), signature: Base64URL.encode(signed.signature), userHandle: nil
        )
        _ = try await DurabilityTests.post(
            url + "/v1/break-glass/\(id)/review", BreakGlassReviewBody(verdict: verdict.verdict, notes: verdict.notes, keyTouch: touch), token: token
        )
    }

    @Test("page before credential → recorded session through sshd → incident resolved ends the grant (KRL, resolve) → reviewed with a key → one verified chain", arguments: Backend.allCases)
    func wholeIncident(_ backend: Backend) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let gateway = try await Self.start(scratch, on: backend)
        let carol = try await gateway.daemon.loggedInCLI("carol", scratch: scratch)
        let erin = try await gateway.daemon.loggedInCLI("erin", scratch: scratch)
        let keys = scratch.path("keys")

        let opened = try await carol.run(["break-glass"] + Self.ask() + ["--duration", "20m", "--out", keys])
        try #require(opened.status == 0, "\(opened.standardError)")
        let id = try BreakGlassCLITests.grantID(in: opened)
        #expect(opened.standardError.contains("Paged oncall-pagerduty: delivered"), "\(opened.standardError)")
        // The gateway waited for the page before answering: the receiver held the trigger when the CLI had the certificate.
        let trigger = try #require(try Self.events(gateway.pager).first, "no page before the credential")
        #expect(trigger["routing_key"] as? String == Self.routingKey && trigger["event_action"] as? String == "trigger" && trigger["dedup_key"] as? String == id)
        let payload = try #require(trigger["payload"] as? [String: Any])
        #expect(payload["severity"] as? String == "critical" && payload["source"] != nil && payload["timestamp"] != nil && payload["class"] != nil)
        #expect(payload["component"] as? String == "rec-1.prod.internal" && payload["group"] as? String == SSHServer.localUser)
        #expect((payload["summary"] as? String)?.contains("carol") == true, "\(payload)")
        let details = try #require(payload["custom_details"] as? [String: Any])
        #expect(details["user"] as? String == "carol" && details["host"] as? String == "rec-1.prod.internal" && details["incident"] as? String == "INC-4711")
        #expect(details["reason"] as? String == "Payments queue stuck; restarting the worker" && details["expires_at"] != nil, "\(details)")
        #expect(details["link"] as? String == "http://localhost:8080/requests/\(id)")

        let key = keys + "/countersign-\(id)"
        let authority = try await Command.run("/usr/bin/curl", ["-sS", "-f", gateway.daemon.url + "/v1/ssh/ca.pub"])
        try authority.requireSuccess()
        try await OpenSSHTool.withScratch { tool in
            let host = try await RecordedSSHSessionTests.RecordingHost.start(in: tool, trusting: authority.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines))
            defer { host.stop() }
            let session = try await Command.run("/usr/bin/ssh", [
                "-tt", "-i", key, "-o", "CertificateFile=\(key)-cert.pub", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-p", String(host.port), "\(SSHServer.localUser)@127.0.0.1",
            ], input: "echo glass-$((6*7))\nexit 3\n")
            #expect(session.status == 3, "\(session.standardError)\n\(host.log)")
            #expect(session.standardOutput.contains("glass-42"), "\(session.standardOutput)")
        }
        let listed = try await erin.run("recordings", "ls", "--request", id, "--json")
        try listed.requireSuccess()
        let recordings = try APICoding.makeDecoder().decode(RecordingListView.self, from: Data(listed.standardOutput.utf8)).recordings
        let recording = try #require(recordings.first, "the break-glass session is recorded")
        #expect(recordings.count == 1 && recording.state == "complete" && recording.exitStatus == 3 && recording.recordsInput && recording.gaps == 0, "\(recording)")
        let text = try await erin.run("recordings", "export", recording.id, "--format", "text")
        #expect(text.standardOutput.contains("glass-42"), "\(text.standardOutput)")
        let typed = try await erin.run("recordings", "search", "echo glass")
        #expect(typed.standardOutput.contains(recording.id), "what was typed is recorded and found: \(typed.standardOutput)")

        // PagerDuty says the incident is resolved: the grant ends by itself.
        #expect(try await Self.post(Self.resolved(incident: 4711, at: Date()), to: gateway.daemon.url) == 202)
        let ended = try await Self.grant(id, erin)
        #expect(ended.request.state == "revoked", "\(ended.request)")
        let krl = scratch.path("krl")
        try await Command.run("/usr/bin/curl", ["-sS", "-f", "-o", krl, gateway.daemon.url + "/v1/ssh/krl"]).requireSuccess()
        let query = try await Command.run("/usr/bin/ssh-keygen", ["-Q", "-f", krl, key + "-cert.pub"])
        #expect(query.status != 0 && query.standardOutput.contains("REVOKED"), "sshd would refuse the certificate now: \(query.standardOutput)")
        try await Self.awaitReceived(gateway.pager, count: 2)
        let resolves = try Self.events(gateway.pager).filter { $0["event_action"] as? String == "resolve" }
        #expect(resolves.compactMap { $0["dedup_key"] as? String } == [id] && resolves.first?["routing_key"] as? String == Self.routingKey)

        // An auditor reviews it with her key; the grant's own user may not.
        let invite = try APICoding.makeDecoder().decode(InviteView.self, from: Data(try await erin.run("admin", "invite", "erin", "--json").standardOutput.utf8))
        var erinsKey = SoftwareAuthenticator()
        let erinToken = try await HardwareKeyCLITests.enrol("erin", invite: invite.code, authenticator: erinsKey, at: gateway.daemon.url)
        let carolToken = try await DurabilityTests.login("carol", at: gateway.daemon.url)
        let verdict = BreakGlassReviewBody(verdict: "justified", notes: "Watched the recording: a restart only", keyTouch: nil)
        await #expect(throws: ProcessFailure.self, "the user does not review their own grant") {
            try await DurabilityTests.post(gateway.daemon.url + "/v1/break-glass/\(id)/review-challenge", verdict, token: carolToken)
        }
        try await Self.review(id, verdict, token: erinToken, key: &erinsKey, at: gateway.daemon.url)
        let reviewed = try await Self.grant(id, erin)
        #expect(reviewed.review?.verdict == "justified" && reviewed.review?.reviewer == "erin" && !reviewed.reviewOverdue)
        #expect(try await erin.run("break-glass", "ls", "--unreviewed", "--json").standardOutput.contains(id) == false)

        let verified = try await erin.run("audit", "verify")
        #expect(verified.status == 0, "\(verified.standardOutput)\(verified.standardError)")
        let exported = try await erin.run("audit", "export", "--format", "jsonl")
        try exported.requireSuccess()
        let actions = exported.standardOutput.split(separator: "\n").compactMap { line -> String? in
            guard let event = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            let details = event["details"] as? [String: String] ?? [:]
            guard event["subject"] as? String == id || details.values.contains(id) else { return nil }
            return event["action"] as? String
        }
        for action in ["request.created", "break_glass.granted", "credential.issued", "recording.started", "recording.completed", "break_glass.ended", "break_glass.reviewed"] {
            #expect(actions.contains(action), "\(action) is in the chain for \(id): \(actions)")
        }
        await gateway.stop()
    }

    @Test("a page the pager could not take when the gateway was killed is delivered after the restart, under its one dedup key, before its resolve", arguments: Backend.allCases)
    func pageSurvivesKill(_ backend: Backend) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let gateway = try await Self.start(scratch, on: backend, pager: .fail)
        let carol = try await gateway.daemon.loggedInCLI("carol", scratch: scratch)
        let opened = try await carol.run(["break-glass"] + Self.ask() + ["--out", scratch.path("keys")])
        try #require(opened.status == 0, "the credential comes while the pager is down: \(opened.standardError)")
        let id = try BreakGlassCLITests.grantID(in: opened)
        #expect(opened.standardError.contains("PAGE NOT YET DELIVERED on oncall-pagerduty"), "\(opened.standardError)")
        try await Self.awaitReceived(gateway.slack, count: 1)
        #expect(gateway.slack.received.first?.text.contains(id) == true, "the other channel hears of the undelivered page")

        try await gateway.daemon.stop(signal: SIGKILL)
        let refused = gateway.pager.received.count
        gateway.pager.answer(.accept)
        let restarted = try await Daemon.start(scratch: scratch, extraArguments: gateway.arguments)
        // A page the killed gateway had claimed is taken back at once on SQLite (the restarted
        // gateway holds the file); on PostgreSQL it waits out the claim's lease (60 s). Then backoff.
        try await Self.awaitReceived(gateway.pager, count: refused + 1, polls: 3000)
        // Ending the grant sends its resolve; once that is in, the trigger has had every chance to come twice.
        let carolAgain = try await restarted.loggedInCLI("carol", scratch: scratch)
        try await carolAgain.run("break-glass", "end", id, "--reason", "Worker restarted").requireSuccess()
        var polls = 0
        while try Self.events(gateway.pager).allSatisfy({ $0["event_action"] as? String != "resolve" }), polls < 3000 {
            try await Task.sleep(for: .milliseconds(50))
            polls += 1
        }
        _ = try await restarted.stop()
        await gateway.pager.stop()
        await gateway.slack.stop()
        // At least once, not exactly: an attempt the killed gateway wrote just before it died can
        // reach the receiver after the switch to accepting, and the restarted gateway, which never
        // heard its answer, sends again. PagerDuty folds triggers of one dedup key into one incident.
        let afterRestart = try Self.events(gateway.pager).dropFirst(refused)
        let triggers = afterRestart.filter { $0["event_action"] as? String == "trigger" }
        #expect(!triggers.isEmpty && triggers.allSatisfy { $0["dedup_key"] as? String == id }, "the trigger is taken after the restart")
        #expect(afterRestart.last?["event_action"] as? String == "resolve" && afterRestart.last?["dedup_key"] as? String == id, "the resolve comes last")
        #expect(try Self.events(gateway.pager).prefix(refused).allSatisfy { $0["dedup_key"] as? String == id }, "every refused attempt was that page")
    }
}
