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
            for _ in 0..<1000 where !LoopbackPort.accepts(port) { try await Task.sleep(for: .milliseconds(10)) }
            return host
        }

        var log: String { (try? tool.read("sshd.log")) ?? "" }

        func stop() {
            process.terminate()
            _ = try? process.wait()
        }
    }

    @Test("ssh host command and an interactive login are both recorded by the forced recorder, complete with their exit status and output")
    func recordedThroughSSHD() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
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

        try await OpenSSHTool.withScratch { tool in
            let host = try await RecordingHost.start(in: tool, trusting: authority.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines))
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

        let listed = try await erin.run("recordings", "ls", "--request", id, "--json")
        try listed.requireSuccess()
        let recordings = try APICoding.makeDecoder().decode(RecordingListView.self, from: Data(listed.standardOutput.utf8)).recordings
        #expect(recordings.count == 2, "each connection's certificate has its own recording")
        let byCommand = Dictionary(uniqueKeysWithValues: recordings.map { ($0.command ?? "", $0) })
        let piped = try #require(byCommand["echo recorded-$((6*7)); exit 5"])
        #expect(piped.state == "complete" && piped.exitStatus == 5 && piped.pty == false, "\(piped)")
        let interactive = try #require(byCommand[""])
        #expect(interactive.state == "complete" && interactive.exitStatus == 4 && interactive.pty == true && interactive.recordsInput, "\(interactive)")
        for recording in [piped, interactive] {
            let cast = scratch.path("\(recording.id).cast")
            try await erin.run("recordings", "export", recording.id, "--out", cast).requireSuccess()
            #expect(try Data(contentsOf: URL(fileURLWithPath: cast)) == (try Data(contentsOf: URL(fileURLWithPath: spool + "/\(recording.id).cast"))), "the gateway holds the spool")
        }
        let text = try await erin.run("recordings", "export", interactive.id, "--format", "text")
        #expect(text.standardOutput.contains("typed-6"), "\(text.standardOutput)")
        let typed = try await erin.run("recordings", "search", "echo typed")
        #expect(typed.standardOutput.contains(interactive.id), "what was typed is found: \(typed.standardOutput)")
    }
}
