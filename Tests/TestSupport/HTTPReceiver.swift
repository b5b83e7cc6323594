import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A real HTTP receiver on 127.0.0.1 for a test: it records every request (method, path, headers,
/// body) and answers as the test says, one scripted answer per request and then a standing one:
/// accept, fail, refuse, ask to retry later, or stall without answering until it is stopped. It
/// can be stopped and started again on the same port, as a receiver that goes down and comes back.
public final class HTTPReceiver: Sendable {
    public struct Received: Sendable {
        public let method: String
        public let path: String
        public let headers: [(name: String, value: String)]
        public let body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public enum Answer: Sendable {
        case status(Int, body: String = "", headers: [(name: String, value: String)] = [])
        /// No answer at all until the receiver is stopped.
        case stall

        public static let accept = Answer.status(202, body: #"{"status":"success","message":"Event processed"}"#)
        public static let fail = Answer.status(500, body: "internal error")

        public static func tooManyRequests(retryAfter: String) -> Answer {
            .status(429, body: "slow down", headers: [("Retry-After", retryAfter)])
        }
    }

    private struct State {
        var received: [Received] = []
        var script: [Answer] = []
        var standing: Answer
        var server: Task<Void, any Error>?
        var port = 0
    }

    private let state: Mutex<State>

    private init(standing: Answer) {
        state = Mutex(State(standing: standing))
    }

    /// A receiver answering `standing` to every request, on a port of its own (or `port`).
    public static func start(answering standing: Answer = .accept, port: Int = 0) async throws -> HTTPReceiver {
        let receiver = HTTPReceiver(standing: standing)
        try await receiver.listen(on: port)
        return receiver
    }

    public var port: Int { state.withLock { $0.port } }

    public func url(_ path: String = "/") -> String { "http://127.0.0.1:\(port)\(path)" }

    public var received: [Received] { state.withLock { $0.received } }

    /// Answers for the next requests, in order, before the standing one applies again.
    public func script(_ answers: [Answer]) {
        state.withLock { $0.script = answers }
    }

    public func answer(_ standing: Answer) {
        state.withLock { $0.standing = standing }
    }

    /// Closes the port: connections are refused until `restart()`.
    public func stop() async {
        let server = state.withLock { state in
            defer { state.server = nil }
            return state.server
        }
        server?.cancel()
        _ = await server?.result
    }

    /// Listens again on the same port.
    public func restart() async throws {
        try await listen(on: port)
    }

    private func listen(on port: Int) async throws {
        var logger = Logger(label: "http-receiver")
        logger.logLevel = .critical
        let (running, started) = AsyncStream.makeStream(of: Int.self)
        let application = Application(
            responder: CallbackResponder { [self] (request: Request, _: BasicRequestContext) in try await respond(to: request) },
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in
                started.yield(channel.localAddress?.port ?? 0)
                started.finish()
            },
            logger: logger
        )
        let server = Task {
            // A port that cannot be bound ends the run before it starts: the wait below ends too.
            defer { started.finish() }
            try await application.run()
        }
        var bound: Int?
        for await port in running { bound = port }
        guard let bound, bound > 0 else {
            server.cancel()
            _ = await server.result
            throw LoopbackPort.Unavailable(description: "the HTTP receiver did not start on 127.0.0.1:\(port)")
        }
        state.withLock { state in
            state.server = server
            state.port = bound
        }
    }

    private func respond(to request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 1 << 20)
        let received = Received(
            method: request.method.rawValue, path: request.uri.path,
            headers: request.headers.map { ($0.name.rawName, $0.value) }, body: Array(body.readableBytesView)
        )
        let answer = state.withLock { state in
            state.received.append(received)
            return state.script.isEmpty ? state.standing : state.script.removeFirst()
        }
        switch answer {
        case .stall:
            // Ends when the receiver stops (the server's tasks are cancelled).
            try await Task.sleep(for: .seconds(3600))
            return Response(status: .ok)
        case .status(let code, let text, let headers):
            var fields = HTTPFields()
            for header in headers {
                if let name = HTTPField.Name(header.name) { fields[name] = header.value }
            }
            return Response(status: .init(code: code), headers: fields, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}
