import CountersignAPI
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Synchronization

extension HTTPServerBuilder {
    /// Hummingbird's HTTP/1.1 server with every connection held to `limits`.
    static func gateway(limits: ConnectionLimits) -> HTTPServerBuilder {
        .init { responder in
            GatewayHTTPChannel(http: HTTP1Channel(responder: responder), limits: limits, openConnections: OpenConnections())
        }
    }
}

/// The child channel of the gateway's server: above the cap a connection is refused at once;
/// below it, `ClientDeadlines` goes in front of Hummingbird's HTTP/1.1 pipeline and
/// `HTTPExchangeObserver` just behind the HTTP decoding.
struct GatewayHTTPChannel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let http: HTTP1Channel
    let limits: ConnectionLimits
    let openConnections: OpenConnections

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard openConnections.admit(within: limits.maximumConnections) else {
            logger.debug("refusing a connection: the connection cap is reached", metadata: ["cap": "\(limits.maximumConnections)"])
            return channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ConnectionRefusal(), position: .first)
                return try Value(wrappingChannelSynchronously: channel)
            }
        }
        let openConnections = self.openConnections
        channel.closeFuture.whenComplete { _ in openConnections.release() }
        let limits = self.limits
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ClientDeadlines(limits: limits, logger: logger), position: .first)
        }
        .flatMap { http.setup(channel: channel, logger: logger) }
        .flatMapThrowing { value in
            let operations = channel.pipeline.syncOperations
            let deadlines = try operations.handler(type: ClientDeadlines.self)
            let decoding = try operations.handler(type: HTTP1ToHTTPServerCodec.self)
            try operations.addHandler(HTTPExchangeObserver(deadlines: deadlines), position: .after(decoding))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http.handle(value: value, logger: logger)
    }
}

/// The number of connections the server holds, counted across its event loops.
final class OpenConnections: Sendable {
    private let count = Atomic<Int>(0)

    func admit(within maximum: Int) -> Bool {
        guard count.wrappingAdd(1, ordering: .relaxed).newValue <= maximum else {
            count.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func release() {
        count.wrappingSubtract(1, ordering: .relaxed)
    }
}

/// Answers a connection beyond the cap with 503 and closes it without reading a byte: no HTTP
/// state is built for it, so a flood of connections costs no memory beyond each accept.
final class ConnectionRefusal: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let answer: [UInt8] = {
        let body = (try? APICoding.makeEncoder().encode(APIErrorBody(
            code: APIErrorCode.serverBusy, message: "the gateway holds as many connections as it accepts; try again shortly"
        ))) ?? Data()
        let head = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"
            + "Content-Length: \(body.count)\r\nCache-Control: no-store\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + Array(body)
    }()

    private var answered = false

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { refuse(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        refuse(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private func refuse(_ context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: Self.answer))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension ConnectionRefusal: Sendable {}
