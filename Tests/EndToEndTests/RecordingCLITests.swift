import CountersignAPI
import Foundation
import Testing
import TestSupport

@Suite("countersign recordings and play against a live countersignd", .timeLimit(.minutes(2)))
struct RecordingCLITests {
    static let recorder = "/usr/local/bin/countersign record --gateway http://127.0.0.1:1"

    /// The example policies with a recorded SSH rule first, for `rec-*.prod.internal`.
    static func recordedPolicies(_ scratch: Scratch) throws -> String {
        let copy = scratch.url.appendingPathComponent("policies")
        try FileManager.default.copyItem(at: Binaries.repositoryRoot.appendingPathComponent("policies"), to: copy)
        try PolicyRules.prepend(PolicyRules.recordedSSH, to: copy.appendingPathComponent("ssh.yaml"))
        return copy.path
    }

    /// The recording id and upload token in a certificate, as the real ssh-keygen lists them:
    /// the extension's data in hex, an SSH string (4-byte length) holding "<id> <token>".
    static func recordingExtension(of certificate: String) async throws -> (id: String, token: String) {
        let listing = try await Command.run("/usr/bin/ssh-keygen", ["-L", "-f", certificate])
        try listing.requireSuccess()
        let line = try #require(listing.standardOutput.split(separator: "\n").first { $0.contains("recording@countersign.dev") })
        let hex = try #require(line.split(separator: " ").first { $0.hasPrefix("0000") })
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            bytes.append(try #require(UInt8(hex[index..<next], radix: 16)))
            index = next
        }
        let words = String(decoding: bytes.dropFirst(4), as: UTF8.self).split(separator: " ").map(String.init)
        try #require(words.count == 2)
        return (words[0], words[1])
    }

    static func upload(_ daemon: Daemon, _ recording: (id: String, token: String), _ path: String, _ body: String, type: String = "application/x-asciicast") async throws {
        let sent = try await Command.run("/usr/bin/curl", [
            "-sS", "-f", "-X", "POST", "-H", "Authorization: Bearer \(recording.token)", "-H", "Content-Type: \(type)",
            "--data-binary", "@-", daemon.url + "/v1/recordings/\(recording.id)" + path,
        ], input: body)
        try sent.requireSuccess()
    }

    @Test("a recorded session lists with its state, exports as cast (asciinema cat reads it) and as text, is found by search and plays")
    func recordings() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let daemon = try await Daemon.start(scratch: scratch, policies: try Self.recordedPolicies(scratch), extraArguments: ["--recorder-command", Self.recorder])
        let bob = try await daemon.loggedInCLI("bob", scratch: scratch)
        let dave = try await daemon.loggedInCLI("dave", scratch: scratch)
        let erin = try await daemon.loggedInCLI("erin", scratch: scratch)
        let carol = try await daemon.loggedInCLI("carol", scratch: scratch)
        let filed = try await bob.run(
            "request", "ssh", "--host", "rec-1.prod.internal", "--login", "deploy", "--duration", "30m", "--reason", "Rotate the logs", "--ticket", "INC-5", "--quiet"
        )
        try filed.requireSuccess()
        let id = filed.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        try await dave.run("approve", id).requireSuccess()
        let keys = scratch.path("keys")
        try await bob.run("cert", id, "--out", keys).requireSuccess()
        let recording = try await Self.recordingExtension(of: keys + "/countersign-\(id)-cert.pub")

        let awaiting = try await erin.run("recordings", "ls", "--request", id)
        try awaiting.requireSuccess()
        #expect(awaiting.standardOutput.contains("\(recording.id)  awaiting  bob as deploy@rec-1.prod.internal"), "\(awaiting.standardOutput)")

        try await Self.upload(daemon, recording, "/start", #"{"session": "5e55104c0ffee5e55104c0ffee5e5510", "host": "rec-1", "command": null, "pty": true}"#, type: "application/json")
        let session = """
            {"version": 2, "width": 80, "height": 24}
            [0.100000, "o", "$ "]
            [0.400000, "i", "ls /var/log\\r"]
            [0.500000, "o", "ls /var/log\\r\\nsyslog  auth.log\\r\\n$ "]
            [0.900000, "o", "\\u001b[2J\\u001b[Hcleared\\r\\n"]

            """
        try await Self.upload(daemon, recording, "/chunks/0?final=true&exit_status=0", session)

        let listed = try await bob.run("recordings", "ls")
        #expect(listed.standardOutput.contains("\(recording.id)  complete  bob"), "\(listed.standardOutput)")
        #expect(!listed.standardOutput.contains("ALARM"))
        let others = try await carol.run("recordings", "ls")
        #expect(others.standardOutput.contains("No recordings."), "another user sees none of bob's")

        let cast = scratch.path("session.cast")
        try await erin.run("recordings", "export", recording.id, "--format", "cast", "--out", cast).requireSuccess()
        #expect(try String(contentsOfFile: cast, encoding: .utf8) == session)
        #expect(try FileManager.default.attributesOfItem(atPath: cast)[.posixPermissions] as? Int == 0o600)
        let again = try await erin.run("recordings", "export", recording.id, "--out", cast)
        #expect(again.status == 2, "an existing file is never overwritten")
        let shown = try await Command.run("/usr/bin/script", ["-q", "-e", "-c", "asciinema cat \(cast)", "/dev/null"])
        #expect(shown.status == 0 && shown.standardOutput.contains("syslog  auth.log"), "the real asciinema reads the export: \(shown.standardOutput)")

        let text = try await erin.run("recordings", "export", recording.id, "--format", "text")
        try text.requireSuccess()
        #expect(text.standardOutput.contains("$ ls /var/log\nsyslog  auth.log"), "\(text.standardOutput)")
        #expect(text.standardOutput.contains("cleared"))
        #expect(!text.standardOutput.contains("\u{1B}"), "escape sequences are applied, not printed")

        let found = try await erin.run("recordings", "search", "AUTH.LOG")
        try found.requireSuccess()
        #expect(found.standardOutput.contains("\(recording.id)  request \(id)  bob@rec-1.prod.internal"), "\(found.standardOutput)")
        #expect(found.standardOutput.contains("+0.5s  output  syslog  auth.log"))
        let typed = try await erin.run("recordings", "search", "ls /var")
        #expect(typed.standardOutput.contains("typed  ls /var/log"), "\(typed.standardOutput)")
        #expect(try await carol.run("recordings", "search", "auth.log").standardOutput.contains("No matches."))

        let played = try await erin.run("play", recording.id, "--speed", "100")
        try played.requireSuccess()
        #expect(played.standardOutput.contains("syslog  auth.log"))
        #expect(try await erin.run("play", recording.id, "--speed", "0").status == 2)
        #expect(try await erin.run("play", "not-an-id").status == 2)
        #expect(try await carol.run("play", recording.id).status == 1, "another user's recording is not found")
    }
}
