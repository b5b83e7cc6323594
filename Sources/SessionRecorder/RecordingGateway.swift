import AsyncHTTPClient
import CountersignAPI
import CountersignCore
import Foundation
import NIOCore
import NIOHTTP1

/// What the gateway answered a start call or an upload, in the words of the contract's retry
/// policy.
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
    func start(_ body: RecordingStartBody) async -> GatewayAnswer
    func upload(sequence: Int, _ bytes: [UInt8], lostBytes: Int, exitStatus: Int32?) async -> GatewayAnswer
}

/// The recording API over HTTP with AsyncHTTPClient: it speaks TLS (a gateway across the network
/// is https), keeps the connection alive between chunks, and is already what the CLI uses.
struct HTTPRecordingGateway: RecordingGateway {
    static let requestTimeout: TimeAmount = .seconds(30)
    static let answerLimit = 64 * 1024

    let base: String
    let recordingID: RecordingID
    let token: RecordingUploadToken
    let client: HTTPClient

    /// A client for the recorder's process: connections are not retried inside the client, the
    /// uploader's own backoff does that.
    static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(5)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func start(_ body: RecordingStartBody) async -> GatewayAnswer {
        guard let json = try? APICoding.makeEncoder().encode(body) else { return .refused("cannot encode the start call") }
        return await send("/start", contentType: "application/json", body: ByteBuffer(bytes: json))
    }

    func upload(sequence: Int, _ bytes: [UInt8], lostBytes: Int, exitStatus: Int32?) async -> GatewayAnswer {
        var query: [String] = []
        if let exitStatus { query += ["final=true", "exit_status=\(exitStatus)"] }
        if lostBytes > 0 { query.append("lost_bytes=\(lostBytes)") }
        let path = "/chunks/\(sequence)" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        return await send(path, contentType: "application/x-asciicast", body: ByteBuffer(bytes: bytes))
    }

    private func send(_ path: String, contentType: String, body: ByteBuffer) async -> GatewayAnswer {
        var request = HTTPClientRequest(url: "\(base)/v1/recordings/\(recordingID.rawValue)\(path)")
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
            return .stored(nextSequence: progress.nextSeq)
        case 429, 500...:
            return .retryLater("the gateway at \(base) answered HTTP \(status.code)")
        default:
            let error = try? APICoding.makeDecoder().decode(APIErrorBody.self, from: data)
            if status.code == 409, error?.error.code == "chunk_out_of_order",
               let next = headers.first(name: "Countersign-Next-Seq").flatMap(Int.init), next >= 0 {
                return .outOfOrder(nextSequence: next)
            }
            let reason = error.map { "\($0.error.message) [\($0.error.code)]" } ?? "HTTP \(status.code)"
            return .refused("the gateway at \(base) refused the recording: \(reason)")
        }
    }
}
