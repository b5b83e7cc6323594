import CountersignAPI
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOSSH
import Testing

/// A recorded request's page lists its recordings with their states, the alarms loudest, and its
/// player reads frames the gateway computes: seen by whoever may see the recording, bounded, and
/// never drawn from a chunk changed on disk.
@Suite("Recordings on the request page and their frames")
struct RecordingPlaybackAPITests {
    static let session = Array(#"[0.250000, "o", "$ "]"#.utf8) + [0x0A] + Array(#"[1.000000, "o", "echo hello\r\nhello\r\n$ "]"#.utf8) + [0x0A]

    /// bob's recorded session: started, its output, closed with exit status 0.
    static func completed(on api: API, bob: String, dave: String) async throws -> RecordingAPITests.Issued {
        let issued = try await RecordingAPITests.issued(on: api, bob: bob, dave: dave)
        #expect(try await RecordingAPITests.start(api, issued).status == .ok)
        let stored = try await RecordingAPITests.chunk(api, issued, 0, RecordingAPITests.header + Self.session, query: "?final=true&exit_status=0")
        try #require(stored.status == .ok, "\(String(buffer: stored.body))")
        return issued
    }

    static func frames(_ api: API, _ issued: RecordingAPITests.Issued, _ query: String = "", token: String) async throws -> TestResponse {
        try await api.send(.get, "/v1/recordings/\(issued.recordingID)/frames\(query)", token: token)
    }

    @Test("frames replay the session through the terminal; the session's user and an auditor read them, anyone else finds nothing")
    func visibility() async throws {
        let harness = try await RecordingAPITests.harness()
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let erin = try await api.login("erin")
            let carol = try await api.login("carol")
            let issued = try await Self.completed(on: api, bob: bob, dave: dave)
            for token in [bob, erin] {
                let response = try await Self.frames(api, issued, token: token)
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let page = try api.decode(RecordingFramesView.self, response)
                #expect(page.frames.map(\.time) == [250_000, 1_000_000])
                #expect(page.frames.last?.lines == ["0": "$ echo hello", "1": "hello", "2": "$"])
                #expect(page.frames.last?.cursor == [2, 2])
                #expect(page.frames.first.map { [$0.rows, $0.columns] } == [24, 80])
                #expect(page.next == nil && page.duration == 1_000_000)
                #expect(String(buffer: response.body).contains(#""next":null"#), "the end is said, not left out")
            }
            // dave approved the request, but does not oversee: the session is not his.
            for token in [carol, dave] {
                let refused = try await Self.frames(api, issued, token: token)
                #expect(refused.status == .notFound)
                #expect(try api.errorCode(refused) == APIErrorCode.notFound)
            }
            #expect(try await api.send(.get, "/v1/recordings/\(issued.recordingID)/frames").status == .unauthorized)
            let paged = try api.decode(RecordingFramesView.self, try await Self.frames(api, issued, "?from=0&limit=1", token: bob))
            #expect(paged.frames.count == 1 && paged.next == 1)
            let second = try api.decode(RecordingFramesView.self, try await Self.frames(api, issued, "?from=1&limit=1", token: bob))
            #expect(second.frames.first?.lines.count == 24, "a page's first frame draws the whole screen")
            #expect(second.next == nil)
        }
    }

    @Test("from and limit out of bounds or not numbers are 400, before the recording is read")
    func badWindow() async throws {
        let harness = try await RecordingAPITests.harness()
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let issued = try await Self.completed(on: api, bob: bob, dave: dave)
            for query in ["?from=-1", "?from=x", "?from=", "?from=1.5", "?from=10000001", "?from=99999999999999999999", "?limit=0", "?limit=2001", "?limit=-3", "?limit=ten"] {
                let response = try await Self.frames(api, issued, query, token: bob)
                #expect(response.status == .badRequest, "\(query)")
                #expect(try api.errorCode(response) == "invalid_field", "\(query)")
            }
            for query in ["?from=10000000", "?limit=2000", "?from=0&limit=1"] {
                #expect(try await Self.frames(api, issued, query, token: bob).status == .ok, "\(query)")
            }
            #expect(try await api.send(.get, "/v1/recordings/nope/frames", token: bob).status == .notFound)
        }
    }

    @Test("a recording with nothing uploaded yet has no frames; one whose chunk changed on disk is an integrity violation")
    func emptyAndTampered() async throws {
        let harness = try await RecordingAPITests.harness()
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let waiting = try await RecordingAPITests.issued(on: api, bob: bob, dave: dave, host: "rec-2.prod.internal")
            let empty = try api.decode(RecordingFramesView.self, try await Self.frames(api, waiting, token: bob))
            #expect(empty == RecordingFramesView(frames: [], next: nil, duration: 0))

            let issued = try await Self.completed(on: api, bob: bob, dave: dave)
            let file = harness.configuration.recordingsDirectory.appendingPathComponent(issued.recordingID).appendingPathComponent("00000000.chunk")
            var bytes = try Data(contentsOf: file)
            bytes[bytes.count - 4] ^= 0x01
            try bytes.write(to: file)
            let refused = try await Self.frames(api, issued, token: bob)
            #expect(refused.status == .internalServerError)
            #expect(try api.errorCode(refused) == APIErrorCode.integrityViolation)
        }
    }

    /// Another certificate for the same request, and so another recording of it.
    static func another(on api: API, request: String, bob: String) async throws -> RecordingAPITests.Issued {
        let response = try await api.send(.post, "/v1/requests/\(request)/ssh-certificate", body: SSHCertificateBody(publicKey: SSHCertificateAPITests.publicKeyLine()), token: bob)
        try #require(response.status == .created, "\(String(buffer: response.body))")
        let view = try api.decode(SSHCertificateView.self, response)
        let certificate = try #require(NIOSSHCertifiedPublicKey(try NIOSSHPublicKey(openSSHPublicKey: view.certificate)))
        let words = try #require(certificate.extensions["recording@countersign.dev"]).split(separator: " ").map(String.init)
        try #require(words.count == 2)
        return RecordingAPITests.Issued(view: view, recordingID: words[0], uploadToken: words[1], certificate: certificate)
    }

    @Test("the request page says its sessions are recorded and lists each recording the viewer may see with its state, an incomplete one as an alarm")
    func requestPage() async throws {
        let harness = try await RecordingAPITests.harness()
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let complete = try await Self.completed(on: api, bob: bob, dave: dave)
            let requestID = String(complete.view.keyId.split(separator: ":")[1])
            // Its recorder reported bytes of its spool it could not deliver: a gap.
            let gapped = try await Self.another(on: api, request: requestID, bob: bob)
            #expect(try await RecordingAPITests.start(api, gapped).status == .ok)
            #expect(try await RecordingAPITests.chunk(api, gapped, 0, RecordingAPITests.header + Self.session, query: "?lost_bytes=512").status == .ok)
            let awaiting = try await Self.another(on: api, request: requestID, bob: bob)

            var erin = try await BrowserSession.loggedIn("erin", on: api)
            let page = String(buffer: try await erin.get("/requests/\(requestID)").body)
            #expect(page.contains(#"<p class="recorded-notice" id="recording-notice">Sessions are recorded (output and input).</p>"#))
            #expect(page.contains("You see every session"))
            #expect(page.contains(#"<li class="recording-row" id="recording-\#(complete.recordingID)" data-recording-id="\#(complete.recordingID)" data-state="complete">"#))
            #expect(page.contains(#"<li class="recording-row alarm" id="recording-\#(gapped.recordingID)" data-recording-id="\#(gapped.recordingID)" data-state="incomplete">"#))
            #expect(page.contains(#"data-recording-id="\#(awaiting.recordingID)" data-state="awaiting""#))
            #expect(page.contains("ALARM: incomplete"))
            #expect(page.contains("The record of this session is not whole: a gap, or the recorder stopped without finishing."))
            #expect(page.contains("512 bytes lost in 1 gap"))
            #expect(page.contains("Awaiting: no session has started with this certificate yet"))
            #expect(page.contains("<dt>Exit status</dt><dd>0</dd>"))
            #expect(page.contains("<dt>Host reported</dt><dd>rec-1</dd>"))
            #expect(page.contains("<dt>Command</dt><dd>a login shell</dd>"))
            #expect(page.contains(#"<script src="/static/player.js" defer></script>"#))
            #expect(page.contains(#"data-watch-recording="\#(complete.recordingID)""#))
            #expect(!page.contains(#"data-watch-recording="\#(awaiting.recordingID)""#), "nothing to play yet")

            // dave sees the request he approved, not bob's sessions.
            var reviewer = try await BrowserSession.loggedIn("dave", on: api)
            let other = String(buffer: try await reviewer.get("/requests/\(requestID)").body)
            #expect(other.contains("Sessions are recorded (output and input)."))
            #expect(!other.contains(complete.recordingID))
            #expect(other.contains(#"id="no-recordings""#))
            #expect(!other.contains("player.js"), "no player without a recording to play")
        }
    }

    @Test("a recording that ran and sent nothing is shown missing, as an alarm, once the recorder has been silent too long")
    func missing() async throws {
        let harness = try await RecordingAPITests.harness()
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let issued = try await RecordingAPITests.issued(on: api, bob: bob, dave: dave)
            #expect(try await RecordingAPITests.start(api, issued).status == .ok)
            let requestID = String(issued.view.keyId.split(separator: ":")[1])
            var browser = try await BrowserSession.loggedIn("bob", on: api)
            #expect(String(buffer: try await browser.get("/requests/\(requestID)").body).contains(#"data-state="streaming""#))
            harness.clock.advance(by: 301)
            let page = String(buffer: try await browser.get("/requests/\(requestID)").body)
            #expect(page.contains(#"<li class="recording-row alarm" id="recording-\#(issued.recordingID)" data-recording-id="\#(issued.recordingID)" data-state="missing">"#))
            #expect(page.contains("ALARM: missing"))
            #expect(page.contains("A recorder started and nothing arrived"))
            #expect(page.contains("You see the recordings of your own sessions"))
        }
    }
}
