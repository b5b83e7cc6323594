import AsyncHTTPClient
import CountersignAPI
import CountersignCore
import Foundation
import NIOCore
import NIOHTTP1

/// Talks to the gateway's `/v1` API and turns every answer into either a decoded value or a
/// `CLIFailure` carrying the gateway's own message and the right exit code.
struct GatewayClient {
    let server: String
    let token: String?

    static let defaultServer = "http://127.0.0.1:8080"

    /// One client for the process, never shut down (the process ends first). Connection attempts
    /// are not retried: a gateway that refuses connections is reported at once (exit 4) rather
    /// than after the request deadline.
    private static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(5)
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
    static let responseLimit = 16 * 1024 * 1024

    /// The server named on the command line, else in the environment, else where we logged in;
    /// the machine token in `COUNTERSIGN_TOKEN`, else the saved login's token for that server.
    static func resolve(server: String?, requireLogin: Bool) throws(CLIFailure) -> GatewayClient {
        let saved = Credentials.load()
        let chosen = server ?? ProcessInfo.processInfo.environment["COUNTERSIGN_SERVER"].flatMap { $0.isEmpty ? nil : $0 } ?? saved?.server ?? defaultServer
        let normalized = chosen.hasSuffix("/") ? String(chosen.dropLast()) : chosen
        guard normalized.hasPrefix("http://") || normalized.hasPrefix("https://") else {
            throw .input("the server must be an http:// or https:// URL, got \(chosen)")
        }
        let token = try MachineTokenEnvironment.token()?.revealed ?? saved.flatMap { $0.server == normalized ? $0.token : nil }
        if requireLogin, token == nil {
            throw .refused("not logged in to \(normalized); run `countersign login` first, or set \(MachineTokenEnvironment.variable)")
        }
        return GatewayClient(server: normalized, token: token)
    }

    /// Logging in must not present an old token: the new session replaces it.
    var withoutToken: GatewayClient { GatewayClient(server: server, token: nil) }

    func get<Response: Decodable>(_ path: String, as type: Response.Type) async throws(CLIFailure) -> Response {
        try decode(Response.self, from: try await send(.GET, path, body: nil))
    }

    /// An answer that is not JSON (the KRL), as the bytes it is.
    func getBytes(_ path: String) async throws(CLIFailure) -> [UInt8] {
        Array(try await send(.GET, path, body: nil))
    }

    func post<Response: Decodable>(_ path: String, body: some Encodable, as type: Response.Type) async throws(CLIFailure) -> Response {
        let data: Data
        do {
            data = try APICoding.makeEncoder().encode(body)
        } catch {
            throw .input("cannot encode the request body")
        }
        return try decode(Response.self, from: try await send(.POST, path, body: data))
    }

    func post<Response: Decodable>(_ path: String, as type: Response.Type) async throws(CLIFailure) -> Response {
        try decode(Response.self, from: try await send(.POST, path, body: nil))
    }

    func postIgnoringBody(_ path: String) async throws(CLIFailure) {
        _ = try await send(.POST, path, body: nil)
    }

    func delete(_ path: String) async throws(CLIFailure) {
        _ = try await send(.DELETE, path, body: nil)
    }

    private func send(_ method: HTTPMethod, _ path: String, body: Data?) async throws(CLIFailure) -> Data {
        var request = HTTPClientRequest(url: server + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let status: HTTPResponseStatus
        let data: Data
        do {
            let response = try await Self.http.execute(request, timeout: .seconds(30))
            status = response.status
            data = Data(try await response.body.collect(upTo: Self.responseLimit).readableBytesView)
        } catch {
            throw .unreachable("cannot reach the gateway at \(server): \(Self.describe(error))")
        }
        guard (200..<300).contains(Int(status.code)) else {
            throw Self.failure(status: status, body: data, server: server)
        }
        return data
    }

    private func decode<Response: Decodable>(_ type: Response.Type, from data: Data) throws(CLIFailure) -> Response {
        do {
            return try APICoding.makeDecoder().decode(Response.self, from: data)
        } catch {
            throw .unreachable("the gateway at \(server) answered with something this CLI does not understand")
        }
    }

    static func failure(status: HTTPResponseStatus, body: Data, server: String) -> CLIFailure {
        let apiError = try? APICoding.makeDecoder().decode(APIErrorBody.self, from: body)
        var failure = failure(status: status, apiError: apiError, server: server)
        failure.apiCode = apiError?.error.code
        return failure
    }

    private static func failure(status: HTTPResponseStatus, apiError: APIErrorBody?, server: String) -> CLIFailure {
        let message = apiError.map { "\($0.error.message) [\($0.error.code)]" } ?? "HTTP \(status.code) \(status.reasonPhrase)"
        switch status.code {
        case 400, 413, 415:
            return .input(message)
        case 401:
            // Logging in again mends a stale session, not a wrong password or a machine token.
            let code = apiError?.error.code ?? ""
            let loginHelps = code != APIErrorCode.invalidCredentials && code != APIErrorCode.machineTokenInvalid && MachineTokenRefusal.Code(rawValue: code) == nil
            return .refused(loginHelps ? "\(message); run `countersign login`" : message)
        case 500...:
            return .unreachable("the gateway at \(server) failed: \(message)")
        default:
            return .refused(message)
        }
    }

    private static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("Connection refused") { return "connection refused" }
        if text.lowercased().contains("timeout") || text.contains("timed out") { return "timed out" }
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }
}
