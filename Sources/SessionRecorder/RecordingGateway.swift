import AsyncHTTPClient
import CountersignAPI
import CountersignCore
import Foundation
import NIOCore
import NIOHTTP1

/// What the gateway answered a start call, in the words of the contract's retry policy.
enum StartAnswer: Sendable {
    /// Taken (or taken before: a retry under the same session id): the session uploads to `target`.
    case started(UploadTarget)
    /// Not reached, 5xx or 429: nothing is uploaded until a start is answered; try again later.
    case retryLater(String)
    /// Any other refusal (409 `recording_sessions_exhausted` among them): there is nowhere to upload.
    case refused(String)
}

/// What the gateway answered an upload, in the words of the contract's retry policy.
enum GatewayAnswer: Sendable, Equatable {
    /// Stored (or stored before: an idempotent retry); the recording expects `nextSequence` next.
    case stored(nextSequence: Int)
    /// 409 `chunk_out_of_order`: the recording expects `nextSequence`.
    case outOfOrder(nextSequence: Int)
    /// Not reached, 5xx or 429: keep the chunk and try again later.
    case retryLater(String)
    /// Any other refusal: uploading stops.
    case refused(String)
}

/// The recorder's side of the recording API (`POST /v1/recordings/{id}/start` and
/// `…/chunks/{seq}`), behind a protocol so the uploader's rules are read apart from HTTP.
protocol RecordingGateway: Sendable {
    func start(_ body: RecordingStartBody) async -> StartAnswer
    func upload(to target: UploadTarget, sequence: Int, _ bytes: [UInt8], lostBytes: Int, exitStatus: Int32?) async -> GatewayAnswer
}

/// The recording API over HTTP with AsyncHTTPClient: it speaks TLS (a gateway across the network
/// is https), keeps the connection alive between chunks, and is already what the CLI uses.
struct HTTPRecordingGateway: RecordingGateway {
    static let requestTimeout: TimeAmount = .seconds(30)
    static let answerLimit = 64 * 1024

    let base: String
    /// The certificate's recording and token: where the start call goes.
    let certificate: RecordingCredentials
    /// The session the start body names, for the token of a recording the answer gives it.
    let session: RecordingSessionID
    let client: HTTPClient

    /// A client for the recorder's process: connections are not retried inside the client, the
    /// uploader's own backoff does that.
    static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(5)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func start(_ body: RecordingStartBody) async -> StartAnswer {
        guard let json = try? APICoding.makeEncoder().encode(body) else { return .refused("cannot encode the start call") }
        let reply = await send(
            to: certificate.recordingID, token: certificate.uploadToken, "/start", contentType: "application/json", body: ByteBuffer(bytes: json)
        )
        switch reply {
        case .progress(let progress):
            // It becomes the path of every upload: checked as a recording id, like the certificate's.
            guard let recording = try? RecordingID(progress.recordingId) else {
                return .retryLater("the gateway at \(base) answered the start without a recording to upload to")
            }
            return .started(UploadTarget(answered: recording, certificate: certificate, session: session))
        case .retryLater(let reason):
            return .retryLater(reason)
        case .refused(let reason, _):
            return .refused(reason)
        }
    }

    func upload(to target: UploadTarget, sequence: Int, _ bytes: [UInt8], lostBytes: Int, exitStatus: Int32?) async -> GatewayAnswer {
        var query: [String] = []
        if let exitStatus { query += ["final=true", "exit_status=\(exitStatus)"] }
        if lostBytes > 0 { query.append("lost_bytes=\(lostBytes)") }
        let path = "/chunks/\(sequence)" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        switch await send(to: target.recordingID, token: target.token, path, contentType: "application/x-asciicast", body: ByteBuffer(bytes: bytes)) {
        case .progress(let progress):
            return .stored(nextSequence: progress.nextSeq)
        case .retryLater(let reason):
            return .retryLater(reason)
        case .refused(_, nextSequence: let next?):
            return .outOfOrder(nextSequence: next)
        case .refused(let reason, nextSequence: nil):
            return .refused(reason)
        }
    }

    /// A gateway's answer, sorted by what the contract says to do with it.
    private enum Reply {
        case progress(RecordingProgressView)
        case retryLater(String)
        /// `nextSequence` only for 409 `chunk_out_of_order`: the number in `Countersign-Next-Seq`.
        case refused(String, nextSequence: Int?)
    }

    private func send(to recording: RecordingID, token: RecordingUploadToken, _ path: String, contentType: String, body: ByteBuffer) async -> Reply {
        var request = HTTPClientRequest(url: "\(base)/v1/recordings/\(recording.rawValue)\(path)")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token.revealed)")
        request.headers.add(name: "Content-Type", value: contentType)
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(body)
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let answer: ByteBuffer
        do {
            let response = try await client.execute(request, timeout: Self.requestTimeout)
            status = response.status
            headers = response.headers
            answer = try await response.body.collect(upTo: Self.answerLimit)
        } catch {
            return .retryLater("cannot reach the gateway at \(base): \(error)")
        }
        let data = Data(answer.readableBytesView)
        switch status.code {
        case 200..<300:
            guard let progress = try? APICoding.makeDecoder().decode(RecordingProgressView.self, from: data) else {
                return .retryLater("the gateway at \(base) answered something that is not a recording's progress")
            }
            return .progress(progress)
        case 429, 500...:
            return .retryLater("the gateway at \(base) answered HTTP \(status.code)")
        default:
            let error = try? APICoding.makeDecoder().decode(APIErrorBody.self, from: data)
            let reason = error.map { "\($0.error.message) [\($0.error.code)]" } ?? "HTTP \(status.code)"
            var next: Int?
            if status.code == 409, error?.error.code == "chunk_out_of_order",
               let expected = headers.first(name: "Countersign-Next-Seq").flatMap(Int.init), expected >= 0 {
                next = expected
            }
            return .refused("the gateway at \(base) refused the recording: \(reason)", nextSequence: next)
        }
    }
}
