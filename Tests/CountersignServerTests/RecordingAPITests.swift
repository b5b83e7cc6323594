import CountersignAPI
import CountersignCore
import CountersignSSH
import Crypto
import Foundation
import HTTPTypes
import NIOSSH
import HummingbirdTesting
import Testing

/// The recording routes over HTTP: a recorded request's certificate carries its recording and
/// the one token that may append to it; the recorder's start and uploads; what auditors and the
/// session's user read; and every way an upload can be wrong.
@Suite("Session recordings over the API")
struct RecordingAPITests {
    static let recorder = "/usr/local/bin/countersign record --gateway http://127.0.0.1:1"
    static let header = Array(#"{"version": 2, "width": 80, "height": 24}"#.utf8) + [0x0A]
    static let output = Array(#"[0.250000, "o", "$ ls\r\n"]"#.utf8) + [0x0A] + Array(#"[0.500000, "i", "exit\r"]"#.utf8) + [0x0A]
    static let later = Array(#"[1.000000, "o", "logout\r\n"]"#.utf8) + [0x0A]

    static func harness(recorderCommand: String? = recorder) async throws -> GatewayHarness {
        try await GatewayHarness.make(policies: try GatewayHarness.recordedSessionPolicies()) { $0.recorderCommand = recorderCommand }
    }

    struct Issued {
        let view: SSHCertificateView
        let recordingID: String
        let uploadToken: String
        let certificate: NIOSSHCertifiedPublicKey
    }

    /// bob's recorded request, approved by dave, and a certificate for it.
    static func issued(on api: API, bob: String, dave: String, host: String = "rec-1.prod.internal") async throws -> Issued {
        let request = try await SSHCertificateAPITests.approvedSSH(on: api, bob: bob, dave: dave, host: host)
        #expect(request.certificate?.recording == "output_and_input")
        let response = try await api.send(.post, "/v1/requests/\(request.id)/ssh-certificate", body: SSHCertificateBody(publicKey: SSHCertificateAPITests.publicKeyLine()), token: bob)
        try #require(response.status == .created, "\(String(buffer: response.body))")
        let view = try api.decode(SSHCertificateView.self, response)
        let certificate = try #require(NIOSSHCertifiedPublicKey(try NIOSSHPublicKey(openSSHPublicKey: view.certificate)))
        // swift-nio-ssh hands out the text inside the extension's data: "<id> <token>".
        let data = try #require(certificate.extensions["recording@countersign.dev"])
        let words = data.split(separator: " ").map(String.init)
        try #require(words.count == 2)
        return Issued(view: view, recordingID: words[0], uploadToken: words[1], certificate: certificate)
    }

    static func chunk(_ api: API, _ issued: Issued, _ seq: Int, _ bytes: [UInt8], query: String = "", token: String? = nil) async throws -> TestResponse {
        try await api.raw(.post, "/v1/recordings/\(issued.recordingID)/chunks/\(seq)\(query)", bytes: bytes, token: token ?? issued.uploadToken, contentType: "application/x-asciicast")
    }

    static func start(_ api: API, _ issued: Issued, token: String? = nil, session: RecordingSessionID = .random(), host: String = "rec-1") async throws -> TestResponse {
        try await api.send(
            .post, "/v1/recordings/\(issued.recordingID)/start",
            body: RecordingStartBody(session: session.rawValue, host: host, command: nil, pty: true, width: 80, height: 24), token: token ?? issued.uploadToken
        )
    }

    @Test("a recorded request's certificate forces the recorder and carries its recording; the whole session uploads, is complete, and reads back as it was sent")
    func wholeSession() async throws {
        let harness = try await Self.harness()
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let erin = try await api.login("erin")
            let issued = try await Self.issued(on: api, bob: bob, dave: dave)
            #expect(issued.view.recordingId == issued.recordingID)
            #expect(issued.certificate.criticalOptions == ["force-command": Self.recorder])
            #expect(issued.certificate.extensions["record-input@countersign.dev"] == "")
            #expect(issued.uploadToken.hasPrefix("csr_"))

            let awaiting = try api.decode(RecordingView.self, try await api.send(.get, "/v1/recordings/\(issued.recordingID)", token: bob))
            #expect(awaiting.state == "awaiting" && !awaiting.alarm && awaiting.recordsInput && awaiting.login == "deploy")

            #expect(try await Self.start(api, issued).status == .ok)
            let first = try await Self.chunk(api, issued, 0, Self.header + Self.output)
            #expect(first.status == .ok, "\(String(buffer: first.body))")
            #expect(try api.decode(RecordingProgressView.self, first) == RecordingProgressView(recordingId: issued.recordingID, nextSeq: 1, state: "streaming"))
            #expect(try await Self.chunk(api, issued, 0, Self.header + Self.output).status == .ok, "a retry of a stored chunk")
            #expect(try await Self.chunk(api, issued, 1, []).status == .ok, "a heartbeat")
            let last = try await Self.chunk(api, issued, 2, Self.later, query: "?final=true&exit_status=3")
            #expect(try api.decode(RecordingProgressView.self, last).state == "complete")

            let cast = try await api.send(.get, "/v1/recordings/\(issued.recordingID)/cast", token: erin)
            #expect(cast.status == .ok)
            #expect(Array(buffer: cast.body) == Self.header + Self.output + Self.later)
            let done = try api.decode(RecordingView.self, try await api.send(.get, "/v1/recordings/\(issued.recordingID)", token: erin))
            #expect(done.state == "complete" && done.exitStatus == 3 && done.chunks == 3 && done.reportedHost == "rec-1" && done.pty == true)

            let audit = try await api.send(.get, "/v1/audit?limit=200", token: erin)
            let text = String(buffer: audit.body)
            #expect(text.contains("recording.started") && text.contains("recording.completed"))
            #expect(!text.contains(issued.uploadToken), "the upload token is in the certificate and nowhere else")
        }
    }

    @Test("uploads without the right token are refused before anything is read: none, a forged one, another recording's, a session's, a machine's")
    func tokens() async throws {
        let harness = try await Self.harness()
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let mine = try await Self.issued(on: api, bob: bob, dave: dave)
            let other = try await Self.issued(on: api, bob: bob, dave: dave, host: "rec-2.prod.internal")
            let cases: [(String?, HTTPResponse.Status, String)] = [
                (nil, .unauthorized, APIErrorCode.recordingTokenInvalid),
                (RecordingUploadToken.generate().revealed, .unauthorized, APIErrorCode.recordingTokenInvalid),
                ("csr_short", .unauthorized, APIErrorCode.recordingTokenInvalid),
                (other.uploadToken, .forbidden, APIErrorCode.recordingTokenMismatch),
                (bob, .unauthorized, APIErrorCode.recordingTokenInvalid),
            ]
            for (token, status, code) in cases {
                var response = try await api.raw(.post, "/v1/recordings/\(mine.recordingID)/chunks/0", bytes: Self.header, token: token, contentType: "application/x-asciicast")
                #expect(response.status == status, "\(token?.prefix(8) ?? "none")")
                #expect(try api.errorCode(response) == code)
                response = try await Self.start(api, mine, token: token ?? "")
                #expect(response.status == status)
            }
            // Nothing reached the recording.
            let view = try api.decode(RecordingView.self, try await api.send(.get, "/v1/recordings/\(mine.recordingID)", token: bob))
            #expect(view.chunks == 0 && view.startedAt == nil)
            // The upload token opens nothing else.
            let elsewhere = try await api.send(.get, "/v1/recordings/\(mine.recordingID)", token: mine.uploadToken)
            #expect(elsewhere.status == .unauthorized)
            #expect(try await api.send(.get, "/v1/requests", token: mine.uploadToken).status == .unauthorized)
        }
    }

    @Test("a chunk out of order, conflicting, oversized, malformed or after the final one is refused precisely and stores nothing")
    func badChunks() async throws {
        let harness = try await Self.harness()
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let erin = try await api.login("erin")
            let issued = try await Self.issued(on: api, bob: bob, dave: dave)
            #expect(try await Self.chunk(api, issued, 0, Self.header).status == .ok)

            let ahead = try await Self.chunk(api, issued, 5, Self.output)
            #expect(ahead.status == .conflict)
            #expect(try api.errorCode(ahead) == "chunk_out_of_order")
            #expect(ahead.headers[HTTPField.Name("Countersign-Next-Seq")!] == "1")
            let conflict = try await Self.chunk(api, issued, 0, Self.output)
            #expect(conflict.status == .conflict)
            #expect(try api.errorCode(conflict) == "chunk_conflict")

            let malformed: [(String, [UInt8])] = [
                ("not JSON", Array("hello\n".utf8)),
                ("no final newline", Array(#"[0.1, "o", "x"]"#.utf8)),
                ("a second header", Self.header),
                ("an unknown event code", Array(#"[0.1, "z", "x"]"#.utf8) + [0x0A]),
                ("time going back within the chunk", Array("[2.0, \"o\", \"a\"]\n[1.0, \"o\", \"b\"]\n".utf8)),
            ]
            for (label, bytes) in malformed {
                let response = try await Self.chunk(api, issued, 1, bytes)
                #expect(response.status == .unprocessableContent, "\(label)")
                #expect(try api.errorCode(response) == "chunk_invalid", "\(label)")
            }
            for query in ["?final=maybe", "?exit_status=0", "?final=true", "?final=true&exit_status=256", "?lost_bytes=-1", "?lost_bytes=99999999999999"] {
                #expect(try await Self.chunk(api, issued, 1, Self.output, query: query).status == .badRequest, "\(query)")
            }
            for seq in ["-1", "01", "abc", "1000000", "99999999999999999999"] {
                let response = try await api.raw(.post, "/v1/recordings/\(issued.recordingID)/chunks/\(seq)", bytes: Self.output, token: issued.uploadToken, contentType: "application/x-asciicast")
                #expect(response.status == .badRequest, "\(seq)")
            }
            let wrongType = try await api.raw(.post, "/v1/recordings/\(issued.recordingID)/chunks/1", bytes: Self.output, token: issued.uploadToken, contentType: "application/json")
            #expect(wrongType.status == .unsupportedMediaType)

            #expect(try await Self.chunk(api, issued, 1, Self.output, query: "?final=true&exit_status=0").status == .ok)
            let closed = try await Self.chunk(api, issued, 2, Self.output)
            #expect(closed.status == .conflict)
            #expect(try api.errorCode(closed) == "recording_closed")

            let view = try api.decode(RecordingView.self, try await api.send(.get, "/v1/recordings/\(issued.recordingID)", token: erin))
            #expect(view.chunks == 2 && view.bytes == Self.header.count + Self.output.count)
            let audit = String(buffer: try await api.send(.get, "/v1/audit?limit=200", token: erin).body)
            #expect(audit.contains("recording.conflict"), "other bytes under a stored number are audited as tampering")
            // Last: the gateway closes the connection after a 413 rather than read the rest.
            let huge = try await Self.chunk(api, issued, 2, [UInt8](repeating: 0x41, count: RecordingChunk.maximumByteCount + 1))
            #expect(huge.status == .contentTooLarge)
            #expect(try api.errorCode(huge) == APIErrorCode.chunkTooLarge)
        }
    }

    @Test("auditors see every recording; the session's user their own; anyone else nothing")
    func visibility() async throws {
        let harness = try await Self.harness()
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let erin = try await api.login("erin")
            let carol = try await api.login("carol")
            let issued = try await Self.issued(on: api, bob: bob, dave: dave)
            for token in [bob, erin] {
                let listed = try api.decode(RecordingListView.self, try await api.send(.get, "/v1/recordings", token: token))
                #expect(listed.recordings.map(\.id) == [issued.recordingID])
            }
            let mineOnly = try api.decode(RecordingListView.self, try await api.send(.get, "/v1/recordings?user=bob", token: carol))
            #expect(mineOnly.recordings.isEmpty)
            #expect(try api.decode(RecordingListView.self, try await api.send(.get, "/v1/recordings", token: carol)).recordings.isEmpty)
            for path in ["/v1/recordings/\(issued.recordingID)", "/v1/recordings/\(issued.recordingID)/cast"] {
                #expect(try await api.send(.get, path, token: carol).status == .notFound)
            }
            let byRequest = try api.decode(RecordingListView.self, try await api.send(.get, "/v1/recordings?request=\(issued.view.keyId.split(separator: ":")[1])", token: erin))
            #expect(byRequest.recordings.count == 1)
            for query in ["?request=nope", "?user=Not%20A%20User", "?limit=0", "?limit=201", "?limit=x"] {
                #expect(try await api.send(.get, "/v1/recordings\(query)", token: erin).status == .badRequest, "\(query)")
            }
        }
    }

    @Test("a chunk changed on disk after its upload is an integrity violation, never played")
    func tamperedFile() async throws {
        let harness = try await Self.harness()
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let issued = try await Self.issued(on: api, bob: bob, dave: dave)
            #expect(try await Self.chunk(api, issued, 0, Self.header + Self.output).status == .ok)
            let file = harness.configuration.recordingsDirectory.appendingPathComponent(issued.recordingID).appendingPathComponent("00000000.chunk")
            var bytes = try Data(contentsOf: file)
            bytes[bytes.count - 3] ^= 0x01
            try bytes.write(to: file)
            let cast = try await api.send(.get, "/v1/recordings/\(issued.recordingID)/cast", token: bob)
            #expect(cast.status == .internalServerError)
            #expect(try api.errorCode(cast) == APIErrorCode.integrityViolation)
        }
    }

    @Test("without a recorder command a recorded request's certificate is refused, and nothing is issued")
    func unconfigured() async throws {
        let harness = try await Self.harness(recorderCommand: nil)
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let request = try await SSHCertificateAPITests.approvedSSH(on: api, bob: bob, dave: dave, host: "rec-1.prod.internal")
            let response = try await api.send(.post, "/v1/requests/\(request.id)/ssh-certificate", body: SSHCertificateBody(publicKey: SSHCertificateAPITests.publicKeyLine()), token: bob)
            #expect(response.status == .serviceUnavailable)
            #expect(try api.errorCode(response) == APIErrorCode.recorderUnconfigured)
            let erin = try await api.login("erin")
            #expect(try api.decode(RecordingListView.self, try await api.send(.get, "/v1/recordings", token: erin)).recordings.isEmpty)
        }
    }
}

extension RecordingAPITests {
    @Test("search finds what was typed and what was shown, with who, which request and where in the session; only in recordings the caller may see")
    func search() async throws {
        let harness = try await Self.harness()
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let erin = try await api.login("erin")
            let carol = try await api.login("carol")
            let issued = try await Self.issued(on: api, bob: bob, dave: dave)
            let session = Self.header + Array(#"[0.100000, "i", "rm -rf /tmp/cache\r"]"#.utf8) + [0x0A]
                + Array(#"[0.200000, "o", "rm -rf /tmp/cache\r\nremoved 3 files\r\n"]"#.utf8) + [0x0A]
            #expect(try await Self.chunk(api, issued, 0, session, query: "?final=true&exit_status=0").status == .ok)

            let found = try api.decode(RecordingSearchView.self, try await api.send(.get, "/v1/recordings/search?q=REMOVED%203", token: erin))
            #expect(found.matches.count == 1)
            let match = try #require(found.matches.first)
            #expect(match.kind == "output" && match.text == "removed 3 files" && match.user == "bob" && match.recordingId == issued.recordingID)
            #expect(match.requestId == String(issued.view.keyId.split(separator: ":")[1]))
            #expect(abs(match.offsetSeconds - 0.2) < 0.001)
            let typed = try api.decode(RecordingSearchView.self, try await api.send(.get, "/v1/recordings/search?q=rm%20-rf", token: bob))
            #expect(typed.matches.map(\.kind).sorted() == ["output", "typed"])
            #expect(try api.decode(RecordingSearchView.self, try await api.send(.get, "/v1/recordings/search?q=removed", token: carol)).matches.isEmpty)
            for query in ["", "?q=", "?q=" + String(repeating: "a", count: 257), "?q=x&limit=0"] {
                #expect(try await api.send(.get, "/v1/recordings/search\(query)", token: erin).status == .badRequest, "\(query.prefix(20))")
            }
        }
    }
}

extension RecordingAPITests {
    @Test("a recorder killed mid-session leaves its recording incomplete, and a start with nothing after it missing: shown as alarms and counted in the metrics")
    func alarms() async throws {
        let harness = try await Self.harness()
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let erin = try await api.login("erin")
            let killed = try await Self.issued(on: api, bob: bob, dave: dave)
            let silent = try await Self.issued(on: api, bob: bob, dave: dave, host: "rec-2.prod.internal")
            let gapped = try await Self.issued(on: api, bob: bob, dave: dave, host: "rec-3.prod.internal")
            _ = try await Self.issued(on: api, bob: bob, dave: dave, host: "rec-4.prod.internal")
            #expect(try await Self.chunk(api, killed, 0, Self.header + Self.output).status == .ok)
            #expect(try await Self.start(api, silent).status == .ok)
            #expect(try await Self.chunk(api, gapped, 0, Self.header).status == .ok)
            #expect(try await Self.chunk(api, gapped, 1, Self.output, query: "?lost_bytes=4096").status == .ok)

            func states() async throws -> [String: String] {
                let listed = try api.decode(RecordingListView.self, try await api.send(.get, "/v1/recordings", token: erin))
                return Dictionary(uniqueKeysWithValues: listed.recordings.map { ($0.id, $0.state) })
            }
            func gauge(_ state: String) async throws -> String? {
                let text = String(buffer: try await api.send(.get, "/metrics").body)
                return text.split(separator: "\n").first { $0.hasPrefix("countersign_recordings{state=\"\(state)\"}") }.map { String($0.split(separator: " ").last ?? "") }
            }
            var now = try await states()
            #expect(now[killed.recordingID] == "streaming" && now[silent.recordingID] == "streaming" && now[gapped.recordingID] == "incomplete")
            var gauges = [try await gauge("streaming"), try await gauge("incomplete"), try await gauge("missing")]
            #expect(gauges == ["2.0", "1.0", "0.0"])

            harness.clock.advance(by: RecordingRules.silenceLimit + 1)
            now = try await states()
            #expect(now[killed.recordingID] == "incomplete" && now[silent.recordingID] == "missing" && now[gapped.recordingID] == "incomplete")
            #expect(now.values.filter { $0 == "awaiting" }.count == 1, "an unused certificate is no alarm")
            let shown = try api.decode(RecordingView.self, try await api.send(.get, "/v1/recordings/\(killed.recordingID)", token: bob))
            #expect(shown.alarm)
            gauges = [try await gauge("streaming"), try await gauge("incomplete"), try await gauge("missing")]
            #expect(gauges == ["0.0", "2.0", "1.0"])
        }
    }
}
