import CountersignAPI
import Crypto
import Foundation
import Testing
import TestSupport
import WebAuthn
import WebAuthnTesting

/// `countersign break-glass` and `break-glass review` touching the user's own enrolled key, with a
/// live countersignd, through `--authenticator-command`: Tests/Support/fido2-assert-standin.sh
/// keeps libfido2's `fido2-assert -G` contract and signs with the very key the test enrolled
/// through the enrolment API (a software authenticator's, exported to PEM for openssl). The
/// gateway's public URL (http://localhost:8080) is not the address the CLI reaches it at, so only
/// the origin the gateway names in its challenge makes client data it accepts.
@Suite("countersign break-glass touching the user's own key, against a live countersignd", .timeLimit(.minutes(3)))
struct BreakGlassKeyTouchCLITests {
    static let standIn = Binaries.repositoryRoot.appendingPathComponent("Tests/Support/fido2-assert-standin.sh").path
    static let device = "/dev/standin-key"

    /// A rule before the examples' own that always takes a touch and wants no agreement.
    static let touchRule = """
          - name: touch-break-glass
            match: { host: "touch-*.prod.internal", login: "*" }
            on_call: [sre]
            max_duration: 15m
            incident_pattern: "^INC-[0-9]+$"
            key_touch: always
            page: [oncall-pagerduty]
          - name: quiet-break-glass
            match: { host: "quiet-*.prod.internal", login: "*" }
            on_call: [sre]
            max_duration: 15m
            incident_pattern: "^INC-[0-9]+$"
            key_touch: never
            page: [oncall-pagerduty]

        """

    struct Gateway {
        let daemon: Daemon
        let pager: HTTPReceiver

        func stop() async {
            _ = try? await daemon.stop()
            await pager.stop()
        }
    }

    static func start(_ scratch: Scratch) async throws -> Gateway {
        let pager = try await HTTPReceiver.start()
        let notifications = scratch.path("notifications.yaml")
        try """
            channels:
              oncall-pagerduty:
                kind: webhook
                url: \(pager.url("/pages"))
                secret: a-webhook-secret-of-32-bytes-xyz
              security-slack:
                kind: webhook
                url: \(pager.url("/slack"))
                secret: a-webhook-secret-of-32-bytes-xyz

            """.write(toFile: notifications, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: notifications)
        let policies = try BreakGlassCLITests.policies(withFirst: touchRule, in: scratch)
        let daemon = try await Daemon.start(scratch: scratch, policies: policies.path, extraArguments: [
            "--public-url", "http://localhost:8080", "--recorder-command", BreakGlassCLITests.recorder, "--notifications", notifications,
            "--break-glass-page-wait", "30s",
        ])
        return Gateway(daemon: daemon, pager: pager)
    }

    /// A software key enrolled for `user` through the API, under a name of its own, with an invite
    /// erin (an admin) made.
    static func enrol(_ user: String, gateway: Gateway, admin: CLI) async throws -> SoftwareAuthenticator {
        let invite = try APICoding.makeDecoder().decode(InviteView.self, from: Data(try await admin.run("admin", "invite", user, "--json").standardOutput.utf8))
        let key = SoftwareAuthenticator()
        let url = gateway.daemon.url
        let token = try await DurabilityTests.login(user, at: url)
        let options = try APICoding.makeDecoder().decode(
            RegistrationOptionsView.self, from: try await DurabilityTests.post(url + "/v1/keys/registration-options", Optional<String>.none, token: token)
        )
        let (object, clientData) = key.register(challenge: options.challenge)
        _ = try await DurabilityTests.post(url + "/v1/keys", EnrolKeyBody(
            ceremonyId: options.ceremonyId, inviteCode: invite.code, name: "key-\(Base64URL.encode(key.credentialID).prefix(8))",
            credentialId: Base64URL.encode(key.credentialID), attestationObject: Base64URL.encode(object), clientDataJSON: Base64URL.encode(clientData)
        ), token: token)
        return key
    }

    /// The stand-in's settings for one key: its PEM file, its counter, and a log of its calls.
    struct StandIn {
        let key: String
        let counter: String
        let log: String
        let credential: String?

        /// `holding`: the stand-in answers only for this key's credential; nil: for any.
        init(signingWith authenticator: SoftwareAuthenticator, holding: SoftwareAuthenticator?, in scratch: Scratch) throws {
            let stem = scratch.path("standin-\(UInt64.random(in: .min ... .max))")
            key = stem + ".pem"
            counter = stem + ".counter"
            log = stem + ".log"
            credential = holding.map { Data($0.credentialID).base64EncodedString() }
            try authenticator.privateKey.pemRepresentation.write(toFile: key, atomically: true, encoding: .utf8)
        }

        func environment(_ behaviour: String = "sign") -> [String: String] {
            var environment = [
                "COUNTERSIGN_AUTHENTICATOR_COMMAND": BreakGlassKeyTouchCLITests.standIn, "COUNTERSIGN_KEY_DEVICE": BreakGlassKeyTouchCLITests.device,
                "STANDIN_KEY": key, "STANDIN_COUNTER": counter, "STANDIN_LOG": log, "STANDIN_BEHAVIOUR": behaviour,
            ]
            if let credential { environment["STANDIN_CREDENTIAL"] = credential }
            return environment
        }

        /// The credential ids it was asked for, in order.
        var asked: [String] {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").map { line in
                #expect(line.hasPrefix("-G -p -v \(BreakGlassKeyTouchCLITests.device) | "), "fido2-assert's arguments: \(line)")
                return String(line.split(separator: "|").last ?? "").trimmingCharacters(in: .whitespaces)
            }
        }
    }

    /// `cli`'s user runs `arguments` with `environment` on top of their own.
    static func run(_ cli: CLI, _ arguments: [String], environment: [String: String]) async throws -> CommandResult {
        try await Command.run(Binaries.cli.path, arguments, environment: ["XDG_CONFIG_HOME": cli.home, "COUNTERSIGN_SERVER": cli.server].merging(environment) { $1 })
    }

    static func ask(host: String, login: String = "deploy") -> [String] {
        ["break-glass", "--host", host, "--login", login, "--incident", "INC-4711", "--reason", "The queue is stuck; restarting the worker"]
    }

    /// The credential ids the gateway lists for `user`'s touch over an ask, in its order.
    static func listedCredentials(_ user: String, gateway: Gateway) async throws -> [String] {
        let token = try await DurabilityTests.login(user, at: gateway.daemon.url)
        let body = BreakGlassBody(
            host: "touch-1.prod.internal", login: "deploy", incident: "INC-1", reason: "listing", durationSeconds: nil, publicKey: nil, keyTouch: nil
        )
        let options = try APICoding.makeDecoder().decode(
            AssertionOptionsView.self, from: try await DurabilityTests.post(gateway.daemon.url + "/v1/break-glass/key-challenge", body, token: token)
        )
        #expect(options.origin == "http://localhost:8080", "the challenge names the origin the gateway checks")
        return options.allowCredentials.map(\.id)
    }

    static func grants(_ cli: CLI) async throws -> [BreakGlassGrantView] {
        let listed = try await cli.run("break-glass", "ls", "--json")
        try listed.requireSuccess()
        return try APICoding.makeDecoder().decode(BreakGlassListView.self, from: Data(listed.standardOutput.utf8)).grants
    }

    @Test("with two keys enrolled, the CLI asks the authenticator for each credential the gateway lists until the key holding one signs, and gets the certificate under a rule that always takes a touch and one that takes it when enrolled; under key_touch: never none is asked")
    func touchesTheEnrolledKey() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let gateway = try await Self.start(scratch)
        let erin = try await gateway.daemon.loggedInCLI("erin", scratch: scratch)
        let dave = try await gateway.daemon.loggedInCLI("dave", scratch: scratch)
        let first = try await Self.enrol("dave", gateway: gateway, admin: erin)
        let second = try await Self.enrol("dave", gateway: gateway, admin: erin)
        // The stand-in holds the key the gateway lists last, so the one before it is asked first, in vain.
        let listed = try await Self.listedCredentials("dave", gateway: gateway)
        try #require(listed.count == 2)
        let held = listed.last == Base64URL.encode(first.credentialID) ? first : second
        let standIn = try StandIn(signingWith: held, holding: held, in: scratch)
        let asked = try listed.map { Data(try #require(Base64URL.decode($0))).base64EncodedString() }

        let out = scratch.path("keys")
        let opened = try await Self.run(dave, Self.ask(host: "touch-1.prod.internal") + ["--out", out], environment: standIn.environment())
        #expect(opened.status == 0, "\(opened.standardError)")
        #expect(
            opened.standardError.contains("Touch your security key to break glass: deploy@touch-1.prod.internal for INC-4711 (\(Self.device), your enrolled key 1 of 2)"),
            "\(opened.standardError)"
        )
        #expect(standIn.asked == asked, "each listed credential, in the gateway's order, until one signed")
        let id = try BreakGlassCLITests.grantID(in: opened)
        #expect(FileManager.default.fileExists(atPath: out + "/countersign-\(id)-cert.pub"))
        let grant = try #require(try await Self.grants(erin).first { $0.request.id == id })
        #expect(grant.keyTouched && grant.request.requirement.rule == "touch-break-glass", "\(grant)")

        // key_touch left to its default (when_enrolled): with a key enrolled, dave touches it too.
        let production = try await Self.run(dave, Self.ask(host: "web-1.prod.internal") + ["--out", out], environment: standIn.environment())
        #expect(production.status == 0, "\(production.standardError)")
        #expect(standIn.asked == asked + asked)
        let productionID = try BreakGlassCLITests.grantID(in: production)
        let touched = try #require(try await Self.grants(erin).first { $0.request.id == productionID })
        #expect(touched.keyTouched && touched.request.requirement.rule == "production-break-glass")

        // Without the touch, the rule refuses him: he has a key.
        let untouched = try await Self.run(dave, Self.ask(host: "web-1.prod.internal") + ["--out", out, "--no-key-touch"], environment: standIn.environment())
        #expect(untouched.status == 1 && untouched.standardError.contains("break_glass_key_touch_required"), "\(untouched.standardError)")
        #expect(untouched.standardError.contains("run again without --no-key-touch"), "\(untouched.standardError)")
        // carol has no key: under the rule that always takes one she is refused, and no key is asked.
        let carol = try await gateway.daemon.loggedInCLI("carol", scratch: scratch)
        let keyless = try await Self.run(carol, Self.ask(host: "touch-2.prod.internal") + ["--out", out], environment: standIn.environment())
        #expect(keyless.status == 1 && keyless.standardError.contains("break_glass_key_touch_required"), "\(keyless.standardError)")
        #expect(keyless.standardError.contains("there is none to touch: you have no enrolled security key"), "\(keyless.standardError)")
        #expect(standIn.asked.count == 4, "nobody's key was asked for the refused asks")
        #expect(try await Self.grants(erin).count == 2)

        // Under key_touch: never the gateway's challenge says no touch is wanted: none is asked, though he has keys.
        let quiet = try await Self.run(dave, Self.ask(host: "quiet-1.prod.internal") + ["--out", out], environment: standIn.environment())
        #expect(quiet.status == 0, "\(quiet.standardError)")
        #expect(quiet.standardError.contains("does not ask for a key touch (key_touch: never): none is made"), "\(quiet.standardError)")
        #expect(!quiet.standardError.contains("Touch your security key"), "\(quiet.standardError)")
        #expect(standIn.asked.count == 4, "the authenticator was not asked")
        let quietID = try BreakGlassCLITests.grantID(in: quiet)
        let untouchedGrant = try #require(try await Self.grants(erin).first { $0.request.id == quietID })
        #expect(!untouchedGrant.keyTouched && untouchedGrant.request.requirement.rule == "quiet-break-glass", "\(untouchedGrant)")
        await gateway.stop()
    }

    @Test("a key that is not enrolled, or an answer signed over other client data, is refused by the gateway with its reason, and nothing is granted")
    func gatewayRefusesForeignTouches() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let gateway = try await Self.start(scratch)
        let erin = try await gateway.daemon.loggedInCLI("erin", scratch: scratch)
        let dave = try await gateway.daemon.loggedInCLI("dave", scratch: scratch)
        let enrolled = try await Self.enrol("dave", gateway: gateway, admin: erin)

        // Another key answering for the enrolled credential id: the signature is not the enrolled key's.
        let stranger = try StandIn(signingWith: SoftwareAuthenticator(), holding: nil, in: scratch)
        let foreign = try await Self.run(dave, Self.ask(host: "touch-1.prod.internal") + ["--out", scratch.path("keys")], environment: stranger.environment())
        #expect(foreign.status == 1 && foreign.standardError.contains("bad_signature"), "\(foreign.standardError)")
        #expect(foreign.standardError.contains("the gateway refused the touch of your key: the signature does not verify with the enrolled key"), "\(foreign.standardError)")
        #expect(stranger.asked.count == 1)

        let other = try StandIn(signingWith: enrolled, holding: enrolled, in: scratch)
        let elsewhere = try await Self.run(dave, Self.ask(host: "touch-1.prod.internal") + ["--out", scratch.path("keys")], environment: other.environment("sign-other"))
        #expect(elsewhere.status == 1 && elsewhere.standardError.contains("bad_signature"), "\(elsewhere.standardError)")

        #expect(try await Self.grants(erin).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: scratch.path("keys")), "no refusal wrote anything")
        await gateway.stop()
    }

    @Test("no authenticator program, no key plugged in, one that never answers, one that prints garbage, without end or its authenticator data bare, and a device libfido2's fido2-assert cannot open each exit with their own message and code; nothing is granted")
    func authenticatorFailures() async throws {
        let realProgram = "/usr/bin/fido2-assert"
        try #require(FileManager.default.isExecutableFile(atPath: realProgram), "fido2-tools is installed by make deps")
        let scratch = try Scratch()
        defer { scratch.remove() }
        let gateway = try await Self.start(scratch)
        let erin = try await gateway.daemon.loggedInCLI("erin", scratch: scratch)
        let dave = try await gateway.daemon.loggedInCLI("dave", scratch: scratch)
        let key = try await Self.enrol("dave", gateway: gateway, admin: erin)
        let standIn = try StandIn(signingWith: key, holding: key, in: scratch)
        // Stands in for fido2-token: lists no key, as on a machine with none plugged in.
        let bin = scratch.path("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try "#!/bin/sh\nexit 0\n".write(toFile: bin + "/fido2-token", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: bin + "/fido2-token")
        var unplugged = standIn.environment()
        unplugged["COUNTERSIGN_KEY_DEVICE"] = ""
        unplugged["PATH"] = bin + ":/usr/bin:/bin"

        let cases: [(String, [String], [String: String], Int32, String)] = [
            ("no program", [], standIn.environment().merging(["COUNTERSIGN_AUTHENTICATOR_COMMAND": "/nonexistent/fido2-assert"]) { $1 }, 5,
             "cannot run /nonexistent/fido2-assert: it is not installed or not executable. Touching a security key needs libfido2's fido2-tools"),
            ("no key plugged in", [], unplugged, 5, "no security key found (fido2-token -L lists none)"),
            ("never answers", ["--key-timeout", "1s"], standIn.environment("hang"), 3, "the security key was not touched within 1s"),
            ("garbage", [], standIn.environment("garbage"), 5, "answered something that is not an assertion (1 line, not 4); nothing was sent"),
            ("without end", [], standIn.environment("flood"), 5, "answered something that is not an assertion (more than 8192 bytes)"),
            ("authenticator data bare", [], standIn.environment("unwrapped"), 5, "its authenticator data is not one CBOR byte string holding authenticator data"),
            ("no such device", ["--authenticator-command", realProgram, "--key-device", scratch.path("no-such-key")], standIn.environment(), 5,
             "cannot open the security key at \(scratch.path("no-such-key"))"),
        ]
        for (name, options, environment, status, message) in cases {
            let result = try await Self.run(dave, Self.ask(host: "touch-1.prod.internal") + ["--out", scratch.path("keys")] + options, environment: environment)
            #expect(result.status == status, "\(name): \(result.standardError)")
            #expect(result.standardError.contains(message), "\(name): \(result.standardError)")
        }
        #expect(try await Self.grants(erin).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: scratch.path("keys")))
        await gateway.stop()
    }

    @Test("a reviewer records a verdict from the CLI with a touch of their key and show has it; the grant's own user may not review it, nor anyone twice")
    func reviewsFromTheCLI() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let gateway = try await Self.start(scratch)
        let erin = try await gateway.daemon.loggedInCLI("erin", scratch: scratch)
        let carol = try await gateway.daemon.loggedInCLI("carol", scratch: scratch)
        let opened = try await carol.run(Self.ask(host: "web-1.prod.internal") + ["--out", scratch.path("keys")])
        #expect(opened.status == 0, "carol has no key, and the production rule takes a touch only when enrolled: \(opened.standardError)")
        let id = try BreakGlassCLITests.grantID(in: opened)
        let erinsKey = try await Self.enrol("erin", gateway: gateway, admin: erin)
        let carolsKey = try await Self.enrol("carol", gateway: gateway, admin: erin)
        let erinsStandIn = try StandIn(signingWith: erinsKey, holding: erinsKey, in: scratch)
        let carolsStandIn = try StandIn(signingWith: carolsKey, holding: carolsKey, in: scratch)
        let review = ["break-glass", "review", id, "--verdict", "justified", "--notes", "Watched the recording: a restart only"]

        let own = try await Self.run(carol, review, environment: carolsStandIn.environment())
        #expect(own.status == 1 && own.standardError.contains("self_approval"), "\(own.standardError)")
        #expect(carolsStandIn.asked.isEmpty, "no touch is asked for a review that would be refused")

        let reviewed = try await Self.run(erin, review, environment: erinsStandIn.environment())
        #expect(reviewed.status == 0, "\(reviewed.standardError)")
        #expect(reviewed.standardOutput.contains("Break-glass grant \(id) is reviewed: justified by erin."), "\(reviewed.standardOutput)")
        #expect(reviewed.standardError.contains("Touch your security key to record your verdict on break-glass grant \(id): justified"), "\(reviewed.standardError)")
        #expect(erinsStandIn.asked.count == 1)
        let shown = try await erin.run("break-glass", "show", id)
        try shown.requireSuccess()
        #expect(shown.standardOutput.contains("Review     justified by erin at "), "\(shown.standardOutput)")
        #expect(shown.standardOutput.contains(": Watched the recording: a restart only"), "\(shown.standardOutput)")

        let twice = try await Self.run(erin, review, environment: erinsStandIn.environment())
        #expect(twice.status == 1, "\(twice.standardError)")
        let verified = try await erin.run("audit", "verify")
        #expect(verified.status == 0, "\(verified.standardOutput)\(verified.standardError)")
        await gateway.stop()
    }

    @Test("without a session, --user and the touch of that user's key break glass; --user without a touch is a usage error")
    func breaksGlassWithTheKeyAlone() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let gateway = try await Self.start(scratch)
        let erin = try await gateway.daemon.loggedInCLI("erin", scratch: scratch)
        let key = try await Self.enrol("dave", gateway: gateway, admin: erin)
        let standIn = try StandIn(signingWith: key, holding: key, in: scratch)
        let nobody = CLI(server: gateway.daemon.url, scratch: scratch, user: "not-logged-in")
        let out = scratch.path("keys")

        let opened = try await Self.run(nobody, Self.ask(host: "touch-1.prod.internal") + ["--user", "dave", "--out", out], environment: standIn.environment())
        #expect(opened.status == 0, "\(opened.standardError)")
        #expect(opened.standardError.contains("Touch your security key to break glass as dave: deploy@touch-1.prod.internal"), "\(opened.standardError)")
        let id = try BreakGlassCLITests.grantID(in: opened)
        let grant = try #require(try await Self.grants(erin).first { $0.request.id == id })
        #expect(grant.request.requester == "dave" && grant.keyTouched)

        let untouched = try await Self.run(nobody, Self.ask(host: "touch-1.prod.internal") + ["--user", "dave", "--no-key-touch"], environment: standIn.environment())
        #expect(untouched.status == 2, "\(untouched.standardError)")
        let keyless = try await Self.run(nobody, Self.ask(host: "touch-1.prod.internal") + ["--user", "carol"], environment: standIn.environment())
        #expect(keyless.status == 1 && keyless.standardError.contains("you have no enrolled security key"), "\(keyless.standardError)")
        await gateway.stop()
    }

    @Test("the stand-in keeps fido2-assert's contract: libfido2's own fido2-assert -V verifies what it prints, user presence and verification included")
    func standInKeepsTheContract() async throws {
        let realProgram = "/usr/bin/fido2-assert"
        try #require(FileManager.default.isExecutableFile(atPath: realProgram), "fido2-tools is installed by make deps")
        let scratch = try Scratch()
        defer { scratch.remove() }
        let key = SoftwareAuthenticator()
        let standIn = try StandIn(signingWith: key, holding: key, in: scratch)
        let publicKey = scratch.path("public.pem")
        try key.privateKey.publicKey.pemRepresentation.write(toFile: publicKey, atomically: true, encoding: .utf8)
        let hash = Data(SHA256.hash(data: Data("some client data".utf8))).base64EncodedString()
        let input = "\(hash)\nlocalhost\n\(Data(key.credentialID).base64EncodedString())\n"

        let signed = try await Command.run(Self.standIn, ["-G", "-p", "-v", Self.device], input: input, environment: standIn.environment())
        try signed.requireSuccess()
        let lines = signed.standardOutput.split(separator: "\n")
        #expect(lines.count == 4 && lines[0] == hash && lines[1] == "localhost", "\(signed.standardOutput)")
        let verified = try await Command.run(realProgram, ["-V", "-p", "-v", publicKey, "es256"], input: signed.standardOutput)
        #expect(verified.status == 0, "\(verified.standardError)")

        let elsewhere = try await Command.run(Self.standIn, ["-G", "-p", "-v", Self.device], input: input, environment: standIn.environment("sign-other"))
        let refused = try await Command.run(realProgram, ["-V", "-p", "-v", publicKey, "es256"], input: elsewhere.standardOutput)
        #expect(refused.status != 0, "a signature over other client data does not verify")
    }
}
