import CountersignAPI
import CountersignCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// Several sessions under one certificate over HTTP: each is recorded apart, the later ones in
/// recordings of their own reached with the certificate's token derived for the session, and
/// every way to use a token outside its own session's recording is refused.
@Suite("Sessions under one certificate over the API")
struct RecordingSessionsAPITests {
    typealias Recordings = RecordingAPITests

    static func progress(_ api: API, _ response: TestResponse) throws -> RecordingProgressView {
        try #require(response.status == .ok, "\(String(buffer: response.body))")
        return try api.decode(RecordingProgressView.self, response)
    }

    /// The request a certificate's recording belongs to.
    static func requestID(_ api: API, of issued: RecordingAPITests.Issued, token: String) async throws -> String {
        try api.decode(RecordingView.self, try await api.send(.get, "/v1/recordings/\(issued.recordingID)", token: token)).requestId
    }

    static func upload(_ api: API, to id: String, _ seq: Int, _ bytes: [UInt8], token: String, query: String = "") async throws -> TestResponse {
        try await api.raw(.post, "/v1/recordings/\(id)/chunks/\(seq)\(query)", bytes: bytes, token: token, contentType: "application/x-asciicast")
    }

    @Test("a second session gets a recording of its own, uploaded with the derived token; both complete apart and list under the request")
    func twoSessions() async throws {
        let harness = try await Recordings.harness()
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let erin = try await api.login("erin")
            let issued = try await Recordings.issued(on: api, bob: bob, dave: dave)
            let requestID = try await Self.requestID(api, of: issued, token: bob)
            let certificateToken = try #require(RecordingUploadToken(issued.uploadToken))
            let first = RecordingSessionID.random()
            let second = RecordingSessionID.random()

            let own = try Self.progress(api, try await Recordings.start(api, issued, session: first))
            #expect(own.recordingId == issued.recordingID)
            let later = try Self.progress(api, try await Recordings.start(api, issued, session: second, host: "rec-1b"))
            #expect(later.recordingId != issued.recordingID && later.nextSeq == 0 && later.state == "streaming")
            #expect(try Self.progress(api, try await Recordings.start(api, issued, session: second)).recordingId == later.recordingId, "a retry")
            #expect(try Self.progress(api, try await Recordings.start(api, issued, session: first)).recordingId == issued.recordingID)

            let sessionToken = certificateToken.derived(for: second).revealed
            let body = Array(#"[0.1, "o", "second session\r\n"]"#.utf8) + [0x0A]
            #expect(try Self.progress(api, try await Self.upload(api, to: later.recordingId, 0, Recordings.header + body, token: sessionToken, query: "?final=true&exit_status=0")).state == "complete")
            #expect(try Self.progress(api, try await Self.upload(api, to: issued.recordingID, 0, Recordings.header + Recordings.output, token: issued.uploadToken, query: "?final=true&exit_status=0")).state == "complete")

            let cast = try await api.send(.get, "/v1/recordings/\(later.recordingId)/cast", token: erin)
            #expect(Array(buffer: cast.body) == Recordings.header + body)
            let view = try api.decode(RecordingView.self, try await api.send(.get, "/v1/recordings/\(later.recordingId)", token: bob))
            #expect(view.requestId == requestID && view.serial == issued.view.serial && view.reportedHost == "rec-1b" && view.user == "bob")
            let listed = try api.decode(RecordingListView.self, try await api.send(.get, "/v1/recordings?request=\(requestID)", token: bob))
            #expect(Set(listed.recordings.map(\.id)) == [issued.recordingID, later.recordingId])
            #expect(listed.recordings.allSatisfy { $0.state == "complete" })

            let audit = String(buffer: try await api.send(.get, "/v1/audit?limit=200", token: erin).body)
            #expect(audit.contains(second.rawValue) && audit.contains("certificate_recording"))
            #expect(!audit.contains(sessionToken) && !audit.contains(issued.uploadToken), "no token in the audit log")
        }
    }

    @Test("tokens stay in their own session's recording: the certificate's cannot write a later session's, the derived one cannot write the certificate's or open sessions")
    func tokensStayInTheirSession() async throws {
        let harness = try await Recordings.harness()
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let issued = try await Recordings.issued(on: api, bob: bob, dave: dave)
            let requestID = try await Self.requestID(api, of: issued, token: bob)
            let other = try await Recordings.issued(on: api, bob: bob, dave: dave, host: "rec-2.prod.internal")
            let certificateToken = try #require(RecordingUploadToken(issued.uploadToken))
            _ = try Self.progress(api, try await Recordings.start(api, issued))
            let second = RecordingSessionID.random()
            let later = try Self.progress(api, try await Recordings.start(api, issued, session: second)).recordingId
            let sessionToken = certificateToken.derived(for: second).revealed

            let uploads: [(String, String, HTTPResponse.Status, String)] = [
                ("the certificate's token on the later session's recording", issued.uploadToken, .forbidden, APIErrorCode.recordingTokenMismatch),
                ("another certificate's token", other.uploadToken, .forbidden, APIErrorCode.recordingTokenMismatch),
                ("a token derived for a session never started", certificateToken.derived(for: .random()).revealed, .unauthorized, APIErrorCode.recordingTokenInvalid),
                ("another certificate's token derived for this session", try #require(RecordingUploadToken(other.uploadToken)).derived(for: second).revealed, .unauthorized, APIErrorCode.recordingTokenInvalid),
            ]
            for (name, token, status, code) in uploads {
                let response = try await Self.upload(api, to: later, 0, Recordings.header, token: token)
                #expect(response.status == status, "\(name)")
                #expect(try api.decode(APIErrorBody.self, response).error.code == code, "\(name)")
            }
            let intoCertificate = try await Self.upload(api, to: issued.recordingID, 0, Recordings.header, token: sessionToken)
            #expect(intoCertificate.status == .forbidden)

            let nested = try await api.send(
                .post, "/v1/recordings/\(later)/start", body: RecordingStartBody(session: RecordingSessionID.random().rawValue, host: "h", command: nil, pty: false), token: sessionToken
            )
            #expect(nested.status == .unprocessableContent)
            #expect(try api.decode(APIErrorBody.self, nested).error.code == RecordingRefusal.Code.sessionInvalid.rawValue)
            for bad in ["", "ABCDEF0123456789ABCDEF0123456789", String(repeating: "0", count: 31), "../" + String(repeating: "0", count: 29)] {
                let response = try await api.send(
                    .post, "/v1/recordings/\(issued.recordingID)/start", body: RecordingStartBody(session: bad, host: "h", command: nil, pty: false), token: issued.uploadToken
                )
                #expect(response.status == .badRequest, "\(bad)")
                #expect(try api.decode(APIErrorBody.self, response).error.code == "invalid_field", "\(bad)")
            }
            for token in [issued.uploadToken, sessionToken] {
                let chunks = try await api.send(.get, "/v1/recordings?request=\(requestID)", token: token)
                #expect(chunks.status == .unauthorized, "an upload token reads nothing")
            }
            #expect(try await Self.upload(api, to: later, 0, Recordings.header, token: sessionToken).status == .ok, "the session's own token still works")
        }
    }

    @Test("one certificate records at most 64 sessions; the 65th start is refused by name and opens nothing")
    func sessionBound() async throws {
        let harness = try await Recordings.harness()
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let issued = try await Recordings.issued(on: api, bob: bob, dave: dave)
            let requestID = try await Self.requestID(api, of: issued, token: bob)
            for _ in 0..<RecordingRules.maximumSessionsPerCertificate {
                #expect(try await Recordings.start(api, issued).status == .ok)
            }
            let refused = try await Recordings.start(api, issued)
            #expect(refused.status == .conflict)
            #expect(try api.decode(APIErrorBody.self, refused).error.code == RecordingRefusal.Code.sessionsExhausted.rawValue)
            let listed = try api.decode(RecordingListView.self, try await api.send(.get, "/v1/recordings?request=\(requestID)&limit=100", token: bob))
            #expect(listed.recordings.count == RecordingRules.maximumSessionsPerCertificate)
        }
    }
}
