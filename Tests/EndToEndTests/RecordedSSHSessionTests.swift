import CountersignAPI
import Foundation
import Glibc
import Testing
import TestSupport

/// A recorded request from end to end with the real OpenSSH: the gateway's certificate forces
/// `countersign record`, the real sshd (TrustedUserCAKeys, ExposeAuthInfo yes) runs it for every
/// session, and the recording is complete on the gateway with what the session printed.
@Suite("Recorded SSH sessions through the real sshd and countersign ssh", .timeLimit(.minutes(3)))
struct RecordedSSHSessionTests {
    /// An sshd that trusts the gateway's CA and exposes the login's certificate to the forced command.
    final class RecordingHost: Sendable {
        let port: Int
        let tool: OpenSSHTool
        private let process: ChildProcess

        init(port: Int, tool: OpenSSHTool, process: ChildProcess) {
            self.port = port
            self.tool = tool
            self.process = process
        }

        static func start(in tool: OpenSSHTool, trusting authority: String) async throws -> RecordingHost {
            let hostKey = tool.directory.appendingPathComponent("host_key").path
            let made = try await tool.keygen(["-q", "-t", "ed25519", "-N", "", "-f", hostKey])
            guard made.status == 0 else { throw ProcessFailure("no host key: \(made.output)") }
            let trusted = try tool.write("trusted-user-ca.pub", authority + "\n")
            let port = try LoopbackPort.free()
            let configuration = try tool.write("sshd_config", """
                ListenAddress 127.0.0.1
                Port \(port)
                HostKey \(hostKey)
                PidFile \(tool.directory.appendingPathComponent("sshd.pid").path)
                TrustedUserCAKeys \(trusted)
                ExposeAuthInfo yes
                AuthorizedKeysFile none
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                UsePAM no
                StrictModes no
                LogLevel VERBOSE

                """)
            if getuid() == 0 { try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true) }
            let process = try ChildProcess.start(["/usr/sbin/sshd", "-D", "-e", "-f", configuration], log: tool.directory.appendingPathComponent("sshd.log").path)
            let host = RecordingHost(port: port, tool: tool, process: process)
            // Probes stop at the first accepted one: each is a connection sshd counts towards
            // MaxStartups until it closes, and a burst of them makes sshd drop the test's own.
            for _ in 0..<1000 {
                guard !LoopbackPort.accepts(port) else { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            return host
        }

        var log: String { (try? tool.read("sshd.log")) ?? "" }

        func stop() {
            process.terminate()
            _ = try? process.wait()
        }
    }

    /// bob's approved recorded request on a gateway whose certificates force the real recorder,
    /// spooling to `spool`; erin (auditor) reads the recordings.
    struct RecordedRequest {
        let daemon: Daemon
        let bob: CLI
        let erin: CLI
        let id: String
        let spool: String
        /// The gateway's CA, for the host's TrustedUserCAKeys.
        let authority: String

        static func make(_ scratch: Scratch) async throws -> RecordedRequest {
            let port = try LoopbackPort.free()
            let spool = scratch.path("spool")
            let recorder = "\(Binaries.cli.path) record --gateway http://127.0.0.1:\(port) --spool-dir \(spool) --upload-grace 20"
            let daemon = try await Daemon.start(
                scratch: scratch, policies: try RecordingCLITests.recordedPolicies(scratch), extraArguments: ["--recorder-command", recorder, "--listen", "127.0.0.1:\(port)"]
            )
            let bob = try await daemon.loggedInCLI("bob", scratch: scratch)
            let dave = try await daemon.loggedInCLI("dave", scratch: scratch)
            let erin = try await daemon.loggedInCLI("erin", scratch: scratch)
            let filed = try await bob.run(
                "request", "ssh", "--host", "rec-1.prod.internal", "--login", SSHServer.localUser, "--duration", "30m",
                "--reason", "Rotate the logs", "--ticket", "INC-8", "--quiet"
            )
            try filed.requireSuccess()
            let id = filed.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            try await dave.run("approve", id).requireSuccess()
            let authority = try await Command.run("/usr/bin/curl", ["-sS", "-f", daemon.url + "/v1/ssh/ca.pub"])
            try authority.requireSuccess()
            return RecordedRequest(
                daemon: daemon, bob: bob, erin: erin, id: id, spool: spool, authority: authority.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            )
        }

        /// The request's recordings as erin lists them (`GET /v1/recordings?request=ID`).
        func recordings() async throws -> [RecordingView] {
            let listed = try await erin.run("recordings", "ls", "--request", id, "--json")
            try listed.requireSuccess()
            return try APICoding.makeDecoder().decode(RecordingListView.self, from: Data(listed.standardOutput.utf8)).recordings
        }

        /// Each session's spool, by the recording the gateway gave it: the state file beside the
        /// spool (`<certificate's recording>.<session>.state`) names it.
        func spools() throws -> [String: String] {
            var found: [String: String] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: spool) where name.hasSuffix(".state") {
                let state = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: spool + "/" + name))) as? [String: Any]
                guard let recording = state?["recording_id"] as? String else { continue }
                found[recording] = spool + "/" + name.dropLast(".state".count) + ".cast"
            }
            return found
        }

        /// Whether the gateway's cast of `recording` is its session's spool, byte for byte.
        func gatewayHoldsSpool(of recording: String, in scratch: Scratch) async throws -> Bool {
            let cast = scratch.path("\(recording).cast")
            try await erin.run("recordings", "export", recording, "--out", cast).requireSuccess()
            let spool = try #require(try spools()[recording], "no state file names \(recording)")
            return try Data(contentsOf: URL(fileURLWithPath: cast)) == (try Data(contentsOf: URL(fileURLWithPath: spool)))
        }

        /// What the session recorded in `recording` showed, replayed (`export --format text`).
        func text(of recording: String) async throws -> String {
            let text = try await erin.run("recordings", "export", recording, "--format", "text")
            try text.requireSuccess()
            return text.standardOutput
        }
    }

    @Test("ssh host command and an interactive login are both recorded by the forced recorder, complete with their exit status and output")
    func recordedThroughSSHD() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let request = try await RecordedRequest.make(scratch)
        let (bob, erin, id) = (request.bob, request.erin, request.id)

        try await OpenSSHTool.withScratch { tool in
            let host = try await RecordingHost.start(in: tool, trusting: request.authority)
            defer { host.stop() }
            let options = [
                "--", "-p", String(host.port), "-o", "HostName=127.0.0.1", "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            ]
            // ssh host command: no terminal, the recorder runs it on pipes.
            let command = try await bob.run(["ssh", id, "--ssh", "/usr/bin/ssh"] + options + ["echo recorded-$((6*7)); exit 5"])
            #expect(command.status == 5, "\(command.standardError)\n\(host.log)")
            #expect(command.standardOutput == "recorded-42\n", "\(command.standardOutput)")
            // An interactive login (-tt: a terminal though ssh's input is a file): the login shell
            // on the recorder's own terminal, reading what the user types.
            let login = try await bob.run(["ssh", id, "--ssh", "/usr/bin/ssh"] + options + ["-tt"], input: "echo typed-$((2*3))\nexit 4\n")
            #expect(login.status == 4, "\(login.standardError)\n\(host.log)")
            #expect(login.standardOutput.contains("typed-6"), "\(login.standardOutput)")
        }

        let recordings = try await request.recordings()
        #expect(recordings.count == 2, "each connection's certificate has its own recording")
        // Two recordings without a start share a key: the count above fails then, rather than a trap.
        let byCommand = Dictionary(recordings.map { ($0.command ?? "", $0) }) { first, _ in first }
        let piped = try #require(byCommand["echo recorded-$((6*7)); exit 5"])
        #expect(piped.state == "complete" && piped.exitStatus == 5 && piped.pty == false, "\(piped)")
        let interactive = try #require(byCommand[""])
        #expect(interactive.state == "complete" && interactive.exitStatus == 4 && interactive.pty == true && interactive.recordsInput, "\(interactive)")
        for recording in [piped, interactive] {
            #expect(try await request.gatewayHoldsSpool(of: recording.id, in: scratch), "the gateway holds the spool of \(recording.id)")
        }
        #expect(try await request.text(of: interactive.id).contains("typed-6"))
        let typed = try await erin.run("recordings", "search", "echo typed")
        #expect(typed.standardOutput.contains(interactive.id), "what was typed is found: \(typed.standardOutput)")
    }

    @Test("one certificate opens sessions one after another and two at once: each is a recording of its own, complete, holding its own session's output and no other's")
    func sessionsUnderOneCertificate() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let request = try await RecordedRequest.make(scratch)
        // One certificate for every connection, as `countersign cert ID --out DIR` leaves it for
        // ssh -i, Ansible or a ControlMaster that is off.
        let keys = scratch.path("keys")
        try await request.bob.run("cert", request.id, "--out", keys).requireSuccess()
        let key = keys + "/countersign-\(request.id)"
        let certificate = try await RecordingCLITests.recordingExtension(of: key + "-cert.pub")
        let flags = scratch.path("flags")
        try FileManager.default.createDirectory(atPath: flags, withIntermediateDirectories: true)
        // The two at once each wait until the other has begun, so that their recorders overlap.
        let sessions = [
            ("first", "echo first-$((6*7)); exit 3"),
            ("second", "echo second-$((2*3)); exit 4"),
            ("left", "touch \(flags)/left; until [ -e \(flags)/right ]; do sleep 0.05; done; echo left-$((5*5)); exit 6"),
            ("right", "touch \(flags)/right; until [ -e \(flags)/left ]; do sleep 0.05; done; echo right-$((7*7)); exit 7"),
        ]
        let printed = ["first": "first-42", "second": "second-6", "left": "left-25", "right": "right-49"]
        let statuses = ["first": 3, "second": 4, "left": 6, "right": 7]

        try await OpenSSHTool.withScratch { tool in
            let host = try await RecordingHost.start(in: tool, trusting: request.authority)
            defer { host.stop() }
            @Sendable func connect(_ command: String) async throws -> CommandResult {
                try await Command.run("/usr/bin/ssh", [
                    "-i", key, "-o", "CertificateFile=\(key)-cert.pub", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
                    "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ControlMaster=no",
                    "-p", String(host.port), "\(SSHServer.localUser)@127.0.0.1", command,
                ])
            }
            for (name, command) in sessions.prefix(2) {
                let session = try await connect(command)
                #expect(session.status == Int32(statuses[name] ?? 0) && session.standardOutput == "\(printed[name] ?? "")\n", "\(name): \(session.standardError)\n\(host.log)")
            }
            async let left = connect(sessions[2].1)
            async let right = connect(sessions[3].1)
            for (name, session) in [("left", try await left), ("right", try await right)] {
                #expect(session.status == Int32(statuses[name] ?? 0) && session.standardOutput == "\(printed[name] ?? "")\n", "\(name): \(session.standardError)\n\(host.log)")
            }
        }

        let recordings = try await request.recordings()
        #expect(recordings.count == 4, "\(recordings.map(\.id))")
        #expect(Set(recordings.map(\.id)).count == 4, "every session a recording of its own")
        #expect(Set(recordings.map(\.serial)).count == 1, "all under the one certificate")
        // Two recordings without a start share a key: the count above fails then, rather than a trap.
        let byCommand = Dictionary(recordings.map { ($0.command ?? "", $0) }) { first, _ in first }
        for (name, command) in sessions {
            let recording = try #require(byCommand[command], "\(name) has no recording")
            #expect(recording.state == "complete" && recording.exitStatus == statuses[name] && recording.gaps == 0, "\(name): \(recording)")
            #expect(try await request.gatewayHoldsSpool(of: recording.id, in: scratch), "\(name): the gateway holds its session's spool")
            let text = try await request.text(of: recording.id)
            #expect(text.contains(printed[name] ?? "?"), "\(name): \(text)")
            for (other, output) in printed where other != name {
                #expect(!text.contains(output), "\(name) holds \(other)'s output: \(text)")
            }
        }
        #expect(byCommand[sessions[0].1]?.id == certificate.id, "the certificate's first session took the certificate's own recording")
    }
}
