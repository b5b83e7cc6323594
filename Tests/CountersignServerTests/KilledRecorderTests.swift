import CountersignAPI
import CountersignCore
import Foundation
import Glibc
import Testing
import TestSupport

/// The real `countersign record`, run as sshd runs it, uploading to this gateway over loopback,
/// then killed with SIGKILL mid-session: under the gateway's manual clock the recording turns
/// incomplete once the recorder has been silent past the limit, an alarm on the API, the request
/// page and the metrics, without a test that sleeps through the limit.
@Suite("A recorder killed mid-session")
struct KilledRecorderTests {
    static var recorderBinary: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("countersign").path
    }

    @Test("SIGKILL leaves the recording streaming, then incomplete and an alarm once the recorder has been silent for the limit")
    func killed() async throws {
        let harness = try await RecordingAPITests.harness()
        let scratch = harness.directory.appendingPathComponent("recorder")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        try await harness.run { api in
            let port = try #require(api.client.port)
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let erin = try await api.login("erin")
            let issued = try await RecordingAPITests.issued(on: api, bob: bob, dave: dave)
            let auth = scratch.appendingPathComponent("sshauth").path
            let line = issued.view.certificate.split(separator: " ").prefix(2).joined(separator: " ")
            try "publickey \(line)\n".write(toFile: auth, atomically: true, encoding: .utf8)
            var environment = ProcessInfo.processInfo.environment
            environment["SSH_USER_AUTH"] = auth
            environment["SSH_ORIGINAL_COMMAND"] = "echo started; sleep 600"
            let recorder = try ChildProcess.start(
                [Self.recorderBinary, "record", "--gateway", "http://127.0.0.1:\(port)", "--spool-dir", scratch.appendingPathComponent("spool").path],
                log: scratch.appendingPathComponent("recorder.log").path, environment: environment
            )
            var view: RecordingView?
            for _ in 0..<300 {
                view = try? api.decode(RecordingView.self, try await api.send(.get, "/v1/recordings/\(issued.recordingID)", token: erin))
                if let view, view.chunks >= 2 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            kill(recorder.pid, SIGKILL)
            _ = try await blocking { try recorder.wait() }
            let streaming = try #require(view, "the recorder never uploaded: \((try? String(contentsOfFile: scratch.appendingPathComponent("recorder.log").path, encoding: .utf8)) ?? "")")
            #expect(streaming.state == "streaming" && !streaming.alarm && streaming.chunks >= 2)

            harness.clock.advance(by: RecordingRules.silenceLimit + 1)
            let killed = try api.decode(RecordingView.self, try await api.send(.get, "/v1/recordings/\(issued.recordingID)", token: erin))
            #expect(killed.state == "incomplete" && killed.alarm && killed.exitStatus == nil, "\(killed)")
            var browser = try await BrowserSession.loggedIn("bob", on: api)
            let page = String(buffer: try await browser.get("/requests/\(killed.requestId)").body)
            #expect(page.contains("ALARM: incomplete") && page.contains("recorder stopped without finishing"))
            let metrics = String(buffer: try await api.send(.get, "/metrics").body)
            #expect(metrics.contains(#"countersign_recordings{state="incomplete"} 1"#), "\(metrics)")
        }
    }
}
