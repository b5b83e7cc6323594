import CountersignServer
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// Clients that trickle, stall or never stop, on real sockets to a live gateway, the limit under
/// test shortened to a second. Clients pace themselves with pauses; what is awaited is the server's
/// close, bounded generously (`RawConnection.patience`) so a regression fails instead of hanging.
@Suite(.timeLimit(.minutes(2)))
struct SlowClientTests {
    /// Limits that never expire within a test, for the ones a test does not exercise: a machine
    /// busy with other suites must not close a connection before the test has used it.
    static func limits(
        header: Duration = .seconds(600), body: Duration = .seconds(600), idle: Duration = .seconds(600), connections: Int = 100
    ) -> ConnectionLimits {
        ConnectionLimits(maximumConnections: connections, headerTimeout: header, bodyTimeout: body, idleTimeout: idle)
    }

    static let health = Array("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)

    static func gateway(_ limits: ConnectionLimits) async throws -> GatewayHarness {
        try await GatewayHarness.make { $0.connections = limits }
    }

    @Test func aRequestHeadTrickledSlowerThanTheHeaderTimeoutIsCutOff() async throws {
        let harness = try await Self.gateway(Self.limits(header: .seconds(1)))
        try await harness.run { api in
            let port = try #require(api.client.port)
            // A byte every 250 ms takes about ten seconds over this head; the limit is one.
            let outcome = try await RawConnection.trickle(Self.health, pace: .milliseconds(250), port: port)
            #expect(outcome.closedByServer)
            #expect(outcome.sent < Self.health.count)
            #expect(outcome.answer.isEmpty)
        }
    }

    @Test func aBodyTrickledSlowerThanTheBodyTimeoutIsCutOff() async throws {
        let harness = try await Self.gateway(Self.limits(body: .seconds(1)))
        try await harness.run { api in
            let port = try #require(api.client.port)
            let body = Array(#"{"username":"alice","password":"alice-demo-pw"}"#.utf8)
            let head = Array("POST /v1/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
            let outcome = try await RawConnection.trickle(body, after: head, pace: .milliseconds(250), port: port)
            #expect(outcome.closedByServer)
            #expect(outcome.sent < body.count)
            #expect(!outcome.answer.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func anIdleKeptAliveConnectionIsClosed() async throws {
        let harness = try await Self.gateway(Self.limits(idle: .seconds(1)))
        try await harness.run { api in
            let port = try #require(api.client.port)
            try await RawConnection.open(port: port) { connection in
                try await connection.send(Self.health)
                #expect(await connection.readResponse().hasPrefix("HTTP/1.1 200"))
                // Nothing more is sent: the server ends the connection after the idle timeout.
                let end = await connection.wait { _ in false }
                #expect(end.endedByServer)
                #expect(end.bytes.count == end.consumed)
            }
        }
    }

    @Test func aKeptAliveConnectionServesOneRequestAfterAnother() async throws {
        let harness = try await Self.gateway(Self.limits())
        try await harness.run { api in
            let port = try #require(api.client.port)
            try await RawConnection.open(port: port) { connection in
                for _ in 0..<3 {
                    try await connection.send(Self.health)
                    #expect(await connection.readResponse().hasPrefix("HTTP/1.1 200"))
                }
            }
        }
    }

    @Test func connectionsBeyondTheCapAreRefusedUntilHeldOnesGo() async throws {
        // The harness's own client holds one connection; one more is held here. Each is answered
        // before the next opens: connections are admitted on several event loops, so the order
        // of the connects alone does not say which one the server counts first.
        let harness = try await Self.gateway(Self.limits(connections: 2))
        try await harness.run { api in
            let port = try #require(api.client.port)
            #expect(try await api.send(.get, "/healthz").status == .ok)
            try await RawConnection.open(port: port) { held in
                try await held.send(Self.health)
                #expect(await held.readResponse().hasPrefix("HTTP/1.1 200"))
                try await RawConnection.open(port: port) { refused in
                    let answer = await refused.readToEnd()
                    #expect(answer.hasPrefix("HTTP/1.1 503"))
                    #expect(answer.contains("server_busy"))
                }
            }
            // The server counts the held connection gone once it has seen it close, which the
            // client cannot observe: ask until answered, within a generous bound. Until then a
            // refusal may close the connection before the request is even written.
            var answer = ""
            for _ in 0..<50 where !answer.hasPrefix("HTTP/1.1 200") {
                answer = try await RawConnection.open(port: port) { connection in
                    try? await connection.send(Self.health)
                    return await connection.readResponse()
                }
                if !answer.hasPrefix("HTTP/1.1 200") { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(answer.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func aBodyWithBrokenChunkedFramingIsAMalformedBodyNotAnInternalFailure() async throws {
        let harness = try await Self.gateway(Self.limits())
        try await harness.run { api in
            let port = try #require(api.client.port)
            try await RawConnection.open(port: port) { connection in
                try await connection.send(Array("POST /v1/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".utf8))
                let answer = await connection.readResponse()
                #expect(answer.hasPrefix("HTTP/1.1 400"))
                #expect(answer.contains("malformed_body"))
            }
        }
    }

    @Test func anEndlessChunkedLoginBodyIsAnswered413AndTheConnectionClosed() async throws {
        let harness = try await Self.gateway(Self.limits())
        try await harness.run { api in
            let port = try #require(api.client.port)
            let head = Array("POST /v1/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
            let outcome = try await RawConnection.flood(after: head, port: port, giveUpAfter: 64 * 1024 * 1024)
            #expect(outcome.answer.hasPrefix("HTTP/1.1 413"))
            #expect(outcome.answer.lowercased().contains("connection: close"))
            #expect(outcome.closedByServer, "the gateway read \(outcome.sent) bytes of an endless body without closing")
        }
    }
}

/// A client that speaks bytes, not HTTP, to the gateway. What the server sends is collected as
/// it arrives; the test waits on it, and writes at its own pace.
struct RawConnection: Sendable {
    /// How long a connection may last before the client gives up on it: far above every limit
    /// the tests set, so it never decides an outcome, only turns a regression into a failure
    /// instead of a hang.
    static let patience: TimeAmount = .seconds(20)

    struct Outcome {
        var sent: Int
        var answer: String
        var closedByServer: Bool
    }

    struct Received: Sendable {
        var bytes: [UInt8] = []
        /// How much of `bytes` earlier reads have handed out.
        var consumed = 0
        var ended = false
        var gaveUp = false
        var endedByServer: Bool { ended && !gaveUp }
    }

    /// Shared by the channel's handler, which fills it, and the test, which waits on it.
    final class Inbox: Sendable {
        let state = Mutex(Received())
        let changes: AsyncStream<Void>
        private let notify: AsyncStream<Void>.Continuation

        init() {
            (changes, notify) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        }

        func update(_ change: (inout Received) -> Void) {
            state.withLock { received in change(&received) }
            notify.yield()
        }
    }

    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let inbox: Inbox

        init(inbox: Inbox) { self.inbox = inbox }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(unwrapInboundIn(data).readableBytesView)
            inbox.update { $0.bytes += bytes }
        }

        func channelInactive(context: ChannelHandlerContext) {
            inbox.update { $0.ended = true }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }

    let channel: any Channel
    let inbox: Inbox

    static func open<Value: Sendable>(port: Int, _ body: (RawConnection) async throws -> Value) async throws -> Value {
        let inbox = Inbox()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(inbox: inbox)) }
            }
            .connect(host: "localhost", port: port).get()
        let giveUp = channel.eventLoop.scheduleTask(in: patience) {
            inbox.update { $0.gaveUp = !$0.ended }
            channel.close(promise: nil)
        }
        channel.closeFuture.whenComplete { _ in giveUp.cancel() }
        let connection = RawConnection(channel: channel, inbox: inbox)
        defer { channel.close(promise: nil) }
        return try await body(connection)
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    /// Waits until `condition` holds of what was received, or the connection has ended.
    @discardableResult
    func wait(until condition: (Received) -> Bool) async -> Received {
        var current = inbox.state.withLock { $0 }
        guard !condition(current), !current.ended else { return current }
        for await _ in inbox.changes {
            current = inbox.state.withLock { $0 }
            if condition(current) || current.ended { break }
        }
        return current
    }

    /// The next response with a Content-Length body, as text; what arrived if the connection
    /// ended first.
    func readResponse() async -> String {
        let received = await wait { Self.responseLength(in: $0.bytes[$0.consumed...]) != nil }
        let rest = received.bytes[received.consumed...]
        let length = Self.responseLength(in: rest) ?? rest.count
        inbox.state.withLock { $0.consumed += length }
        return String(decoding: rest.prefix(length), as: UTF8.self)
    }

    /// Everything not yet read, once the server has ended the connection (a reset counts as an
    /// end); empty if the client gave up first.
    func readToEnd() async -> String {
        let received = await wait { _ in false }
        guard received.endedByServer else { return "" }
        return String(decoding: received.bytes[received.consumed...], as: UTF8.self)
    }

    /// Sends `prefix` at once, then `bytes` one at a time, `pace` apart, until the server ends
    /// the connection or every byte went out.
    static func trickle(_ bytes: [UInt8], after prefix: [UInt8] = [], pace: Duration, port: Int) async throws -> Outcome {
        try await exchange(after: prefix, port: port) { connection in
            var sent = 0
            for byte in bytes {
                try await Task.sleep(for: pace)
                guard !connection.inbox.state.withLock(\.ended), (try? await connection.send([byte])) != nil else { break }
                sent += 1
            }
            return sent
        }
    }

    /// Sends `prefix`, then chunks of a chunked body for ever, until the server ends the
    /// connection or `limit` bytes went out.
    static func flood(after prefix: [UInt8], port: Int, giveUpAfter limit: Int) async throws -> Outcome {
        let chunk = Array("4000\r\n".utf8) + Array(repeating: UInt8(ascii: "a"), count: 0x4000) + Array("\r\n".utf8)
        return try await exchange(after: prefix, port: port) { connection in
            var sent = 0
            while sent < limit, !connection.inbox.state.withLock(\.ended), (try? await connection.send(chunk)) != nil {
                sent += chunk.count
            }
            return sent
        }
    }

    /// Whether the server ended the connection is judged when the client stops writing: a
    /// client that sent everything half-closes and waits for the server to finish.
    private static func exchange(after prefix: [UInt8], port: Int, writing: (RawConnection) async throws -> Int) async throws -> Outcome {
        try await open(port: port) { connection in
            // A server that cut the connection off before the client's first write (a client
            // starved of CPU past a one-second limit) has ended it: that is an outcome, not an error.
            let sent = (try? await connection.send(prefix)) == nil ? 0 : try await writing(connection)
            let closedByServer = connection.inbox.state.withLock(\.ended)
            if !closedByServer { try? await connection.channel.close(mode: .output).get() }
            let received = await connection.wait { _ in false }
            return Outcome(sent: sent, answer: String(decoding: received.bytes, as: UTF8.self), closedByServer: closedByServer && received.endedByServer)
        }
    }

    /// The length of the complete response at the start of `bytes`, if it has all arrived.
    private static func responseLength(in bytes: ArraySlice<UInt8>) -> Int? {
        let terminator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4,
              let headEnd = (bytes.startIndex...(bytes.endIndex - 4)).first(where: { bytes[$0..<($0 + 4)].elementsEqual(terminator) })
        else { return nil }
        let head = String(decoding: bytes[bytes.startIndex..<headEnd], as: UTF8.self)
        let bodyLength = head.split(separator: "\r\n").lazy.compactMap { line -> Int? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
            return Int(parts[1].trimmingCharacters(in: .whitespaces))
        }.first ?? 0
        let total = headEnd + 4 - bytes.startIndex + bodyLength
        return bytes.count >= total ? total : nil
    }
}
