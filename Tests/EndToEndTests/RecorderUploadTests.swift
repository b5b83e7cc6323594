import CountersignAPI
import Foundation
import Glibc
import Testing
import TestSupport

/// The real `countersign record` uploading to a live countersignd: a certificate issued for a
/// recorded request, the recorder run as sshd runs it (SSH_USER_AUTH naming that certificate,
/// SSH_ORIGINAL_COMMAND the user's command, no terminal), and the gateway stopped, restarted and
/// even restored from a backup while the session runs.
@Suite("countersign record streaming to a live countersignd through outages", .timeLimit(.minutes(3)))
struct RecorderUploadTests {
    /// A recorded login: its recording, the auth file sshd would write for it, and erin (auditor).
    struct RecordedLogin {
        let scratch: Scratch
        let requestID: String
        let recording: (id: String, token: String)
        let authFile: String
        let erin: CLI

        var spoolDirectory: String { scratch.path("spool") }
        /// The session's spool, `<recording id>.<session id>.cast` (the test runs one session).
        var spoolFile: String {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: spoolDirectory)) ?? []
            let name = names.first { $0.hasPrefix(recording.id + ".") && $0.hasSuffix(".cast") } ?? "\(recording.id).no-session.cast"
            return spoolDirectory + "/" + name
        }

        var stateFile: String { String(spoolFile.dropLast(".cast".count)) + ".state" }
        func flag(_ name: String) -> String { scratch.path("flag-\(name)") }

        func raise(_ name: String) {
            FileManager.default.createFile(atPath: flag(name), contents: Data())
        }

        /// A shell line that waits until the test raises `name`.
        func waitFor(_ name: String) -> String {
            "until [ -e \(flag(name)) ]; do sleep 0.05; done"
        }

        /// The recording as the gateway lists it to erin.
        func view() async throws -> RecordingView? {
            let listed = try await erin.run("recordings", "ls", "--request", requestID, "--json")
            guard listed.status == 0 else { return nil }
            return try APICoding.makeDecoder().decode(RecordingListView.self, from: Data(listed.standardOutput.utf8)).recordings.first
        }

        /// Waits until the gateway holds at least `chunks` chunks of the recording.
        func waitForChunks(_ chunks: Int) async throws {
            for _ in 0..<300 {
                if let view = try await view(), view.chunks >= chunks { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw ProcessFailure("the gateway never held \(chunks) chunks")
        }

        /// The recording's cast, as erin exports it from the gateway.
        func gatewayCast() async throws -> [UInt8] {
            let out = scratch.path("export-\(UUID().uuidString).cast")
            try await erin.run("recordings", "export", recording.id, "--format", "cast", "--out", out).requireSuccess()
            return Array(try Data(contentsOf: URL(fileURLWithPath: out)))
        }

        func spool() throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: spoolFile))) }

        /// Starts the recorder for `command`, as sshd would for `ssh rec-1.prod.internal command`.
        func startRecorder(_ command: String, gateway: String, extra: [String] = []) throws -> ChildProcess {
            var environment = ProcessInfo.processInfo.environment
            environment["SSH_USER_AUTH"] = authFile
            environment["SSH_ORIGINAL_COMMAND"] = command
            return try ChildProcess.start(
                [Binaries.cli.path, "record", "--gateway", gateway, "--spool-dir", spoolDirectory, "--retry-cap", "0.3", "--upload-grace", "30"] + extra,
                log: scratch.path("recorder.log"), environment: environment
            )
        }

        var recorderLog: String { (try? String(contentsOfFile: scratch.path("recorder.log"), encoding: .utf8)) ?? "" }
    }

    static let recorderCommand = "/usr/local/bin/countersign record --gateway http://127.0.0.1:8080 --spool-dir /var/spool/countersign"

    /// A daemon on `port` (fixed, so that a restart comes back where the recorder looks).
    static func daemon(_ scratch: Scratch, port: Int, policies: String) async throws -> Daemon {
        try await Daemon.start(scratch: scratch, policies: policies, extraArguments: ["--recorder-command", recorderCommand, "--listen", "127.0.0.1:\(port)"])
    }

    /// bob's approved recorded request and its certificate; sshd's ExposeAuthInfo file for it.
    static func recordedLogin(_ daemon: Daemon, _ scratch: Scratch) async throws -> RecordedLogin {
        let bob = try await daemon.loggedInCLI("bob", scratch: scratch)
        let dave = try await daemon.loggedInCLI("dave", scratch: scratch)
        let erin = try await daemon.loggedInCLI("erin", scratch: scratch)
        let filed = try await bob.run(
            "request", "ssh", "--host", "rec-1.prod.internal", "--login", "deploy", "--duration", "30m", "--reason", "Rotate the logs", "--ticket", "INC-7", "--quiet"
        )
        try filed.requireSuccess()
        let id = filed.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        try await dave.run("approve", id).requireSuccess()
        let keys = scratch.path("keys")
        try await bob.run("cert", id, "--out", keys).requireSuccess()
        let certificate = keys + "/countersign-\(id)-cert.pub"
        let recording = try await RecordingCLITests.recordingExtension(of: certificate)
        let line = try String(contentsOfFile: certificate, encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        let auth = scratch.path("sshauth")
        try "publickey \(line)\n".write(toFile: auth, atomically: true, encoding: .utf8)
        return RecordedLogin(scratch: scratch, requestID: id, recording: recording, authFile: auth, erin: erin)
    }

    static func finish(_ recorder: ChildProcess, _ login: RecordedLogin) async throws -> Int32 {
        guard let status = try await blocking({ try recorder.wait(timeout: 90) }) else {
            kill(recorder.pid, SIGKILL)
            throw ProcessFailure("the recorder did not end: \(login.recorderLog)")
        }
        return status
    }

    @Test("a whole session uploads while it runs: the gateway's cast is the spool byte for byte, complete with the exit status")
    func wholeSession() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let port = try LoopbackPort.free()
        let daemon = try await Self.daemon(scratch, port: port, policies: try RecordingCLITests.recordedPolicies(scratch))
        #expect(daemon.port == port, "the last --listen is the one countersignd takes")
        let login = try await Self.recordedLogin(daemon, scratch)
        let recorder = try login.startRecorder("echo started; seq 1 100000; printf 'done\\n' >&2; exit 3", gateway: daemon.url)
        #expect(try await Self.finish(recorder, login) == 3)
        #expect(!login.recorderLog.contains("not on the gateway"), "\(login.recorderLog)")
        let spool = try login.spool()
        #expect(try await login.gatewayCast() == spool)
        let view = try #require(try await login.view())
        #expect(view.state == "complete" && view.exitStatus == 3 && view.lostBytes == 0 && view.gaps == 0, "\(view)")
        #expect(view.pty == false && view.command == "echo started; seq 1 100000; printf 'done\\n' >&2; exit 3")
        // How many chunks depends on how far the uploads fell behind: waiting ones go together.
        #expect(view.bytes == spool.count && view.chunks >= 1)
        let state = try String(contentsOfFile: login.stateFile, encoding: .utf8)
        #expect(state.contains(#""complete":true"#) && state.contains(#""next_seq":\#(view.chunks)"#), "\(state)")
        #expect(state.contains(#""recording_id":"\#(login.recording.id)""#), "the certificate's first session records to its own recording: \(state)")
    }

    @Test("the gateway stopped in the middle of a session and started again: the recorder keeps recording, catches up, and not a byte is lost")
    func outage() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let port = try LoopbackPort.free()
        let policies = try RecordingCLITests.recordedPolicies(scratch)
        var daemon = try await Self.daemon(scratch, port: port, policies: policies)
        let login = try await Self.recordedLogin(daemon, scratch)
        let recorder = try login.startRecorder(
            "echo before; \(login.waitFor("down")); seq 1 200000; echo during; \(login.waitFor("up")); echo after", gateway: daemon.url,
            extra: ["--memory-limit", "65536"]
        )
        try await login.waitForChunks(2)
        try await daemon.stop()
        // Printed while the gateway is down: more than the recorder holds in memory, so most of it
        // is read back from the spool when the gateway returns.
        login.raise("down")
        try await Task.sleep(for: .seconds(2))
        daemon = try await Self.daemon(scratch, port: port, policies: policies)
        login.raise("up")
        #expect(try await Self.finish(recorder, login) == 0, "\(login.recorderLog)")
        let spool = try login.spool()
        let cast = try await login.gatewayCast()
        #expect(cast == spool, "\(cast.count) bytes on the gateway, \(spool.count) in the spool")
        let text = String(decoding: cast, as: UTF8.self)
        #expect(text.contains("200000\\n") && text.contains("during") && text.contains("after"))
        let view = try #require(try await login.view())
        #expect(view.state == "complete" && view.lostBytes == 0 && view.gaps == 0, "\(view)")
        _ = daemon
    }

    @Test("a spool truncated by the user while the gateway is down: the missing bytes are reported as a gap (lost_bytes), never replaced by others")
    func truncatedSpool() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let port = try LoopbackPort.free()
        let policies = try RecordingCLITests.recordedPolicies(scratch)
        var daemon = try await Self.daemon(scratch, port: port, policies: policies)
        let login = try await Self.recordedLogin(daemon, scratch)
        let recorder = try login.startRecorder(
            "echo before; \(login.waitFor("down")); seq 1 100000; sleep 1; echo mark; touch \(login.flag("printed")); \(login.waitFor("up")); echo after", gateway: daemon.url,
            extra: ["--memory-limit", "65536"]
        )
        try await login.waitForChunks(2)
        try await daemon.stop()
        login.raise("down")
        while !FileManager.default.fileExists(atPath: login.flag("printed")) { try await Task.sleep(for: .milliseconds(50)) }
        // The recorder always keeps its newest chunk in memory, however large: the pause before
        // `mark` makes that newest chunk small, so the numbers it cut before are what the memory
        // limit pushes out to the spool alone.
        // Past the next 250 ms cut, so that all of it is in the spool, then the user cuts it short.
        try await Task.sleep(for: .milliseconds(600))
        let written = try login.spool()
        #expect(truncate(login.spoolFile, off_t(written.count - 300_000)) == 0)
        daemon = try await Self.daemon(scratch, port: port, policies: policies)
        login.raise("up")
        #expect(try await Self.finish(recorder, login) == 0, "\(login.recorderLog)")
        // What the recorder wrote: the bytes before the truncation, then what it wrote after.
        let final = try login.spool()
        let original = written + final.dropFirst(written.count)
        let cast = try await login.gatewayCast()
        let view = try #require(try await login.view())
        #expect(view.state == "incomplete" && view.alarm && view.gaps == 1, "\(view)")
        #expect(view.lostBytes == original.count - cast.count && view.lostBytes >= 300_000 - 70_000, "\(view.lostBytes)")
        // The gateway has a prefix of the recording and then its end: only the lost part is missing.
        let prefix = zip(cast, original).prefix { $0 == $1 }.count
        #expect(Array(cast[prefix...]) == Array(original.suffix(cast.count - prefix)))
        #expect(String(decoding: cast, as: UTF8.self).contains("after"), "the end of the session, after the gap, is there")
    }

    @Test("a gateway restored from a backup that lost the last chunks answers 409 out of order: the recorder resends from the gateway's next_seq, from its spool")
    func restoredGateway() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let port = try LoopbackPort.free()
        let policies = try RecordingCLITests.recordedPolicies(scratch)
        var daemon = try await Self.daemon(scratch, port: port, policies: policies)
        let login = try await Self.recordedLogin(daemon, scratch)
        let recorder = try login.startRecorder(
            "echo before; \(login.waitFor("more")); seq 1 50000; \(login.waitFor("end")); echo after", gateway: daemon.url, extra: ["--memory-limit", "65536"]
        )
        try await login.waitForChunks(2)
        let backedUp = try #require(try await login.view()).chunks
        try await daemon.stop()
        let backup = scratch.path("backup")
        try FileManager.default.copyItem(atPath: daemon.dataDirectory, toPath: backup)
        daemon = try await Self.daemon(scratch, port: port, policies: policies)
        login.raise("more")
        try await login.waitForChunks(backedUp + 3)
        try await Task.sleep(for: .milliseconds(600))
        try await daemon.stop()
        try FileManager.default.removeItem(atPath: daemon.dataDirectory)
        try FileManager.default.copyItem(atPath: backup, toPath: daemon.dataDirectory)
        daemon = try await Self.daemon(scratch, port: port, policies: policies)
        login.raise("end")
        #expect(try await Self.finish(recorder, login) == 0, "\(login.recorderLog)")
        let spool = try login.spool()
        let cast = try await login.gatewayCast()
        #expect(cast == spool, "\(cast.count) bytes on the gateway, \(spool.count) in the spool: \(login.recorderLog)")
        let view = try #require(try await login.view())
        #expect(view.state == "complete" && view.lostBytes == 0, "\(view)")
    }
}
