import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes

/// Holds a connection's client to the pace of `ConnectionLimits`: the request head within the
/// header timeout, the body within the body timeout, the next request within the idle timeout.
/// While the gateway itself works on an answer the client owes nothing and no deadline runs.
///
/// It sits first in the pipeline, before the HTTP decoder: a head trickled a byte at a time
/// yields no HTTP part until it is complete, so only the bytes tell when a request has begun.
/// The HTTP parts reach it through `HTTPExchangeObserver`.
final class ClientDeadlines: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum Awaiting {
        /// The first byte of another request on a kept-alive connection.
        case nextRequest
        case head
        case body
        /// The gateway's answer.
        case answer
        /// An answer went out before the request had arrived in full; what the client still
        /// sends is discarded, within bounds, and never read as HTTP.
        case lingering(discarded: Int)
    }

    /// An answer given before the whole request was read (a 413, a refusal before the body)
    /// ends the connection instead of reading on: an endless body would be read forever.
    /// Closing outright with unread input makes the kernel answer with a reset that can destroy
    /// the answer still in flight, so the output is shut first and the input discarded for at
    /// most this long and this much.
    static let lingerTime: TimeAmount = .seconds(2)
    static let lingerBytes = 256 * 1024

    private let limits: ConnectionLimits
    private let logger: Logger
    private var awaiting: Awaiting = .head
    private var deadline: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    /// Requests whose head was read and whose answer is not yet written in full.
    private var unanswered = 0
    private var requestBodyOpen = false
    private var closesAfterAnswer = false

    init(limits: ConnectionLimits, logger: Logger) {
        self.limits = limits
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { expect(.head, within: limits.headerTimeout) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if deadline == nil, case .head = awaiting { expect(.head, within: limits.headerTimeout) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch awaiting {
        case .lingering(let discarded):
            let total = discarded + unwrapInboundIn(data).readableBytes
            awaiting = .lingering(discarded: total)
            if total > Self.lingerBytes { context.close(promise: nil) }
        case .nextRequest:
            expect(.head, within: limits.headerTimeout)
            context.fireChannelRead(data)
        case .head, .body, .answer:
            context.fireChannelRead(data)
        }
    }

    func requestHeadRead() {
        if case .lingering = awaiting { return }
        unanswered += 1
        requestBodyOpen = true
        expect(.body, within: limits.bodyTimeout)
    }

    func requestEnded() {
        if case .lingering = awaiting { return }
        requestBodyOpen = false
        expect(.answer, within: nil)
    }

    /// Called as an answer's head is written: true when it answers a request whose body has not
    /// all arrived, so that the connection ends with this answer.
    func answerBegins() -> Bool {
        // With two or more unanswered, the one answered now is followed by a head already read,
        // so its own body has ended.
        closesAfterAnswer = unanswered == 1 && requestBodyOpen
        return closesAfterAnswer
    }

    var answerEndsConnection: Bool { closesAfterAnswer }

    func answerWritten() {
        unanswered = max(0, unanswered - 1)
        if closesAfterAnswer {
            guard let context else { return }
            context.close(mode: .output, promise: nil)
            expect(.lingering(discarded: 0), within: nil)
            deadline = context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingerTime) { [self] in
                deadline = nil
                self.context?.close(promise: nil)
            }
        } else if unanswered == 0, !requestBodyOpen {
            expect(.nextRequest, within: limits.idleTimeout)
        }
    }

    private func expect(_ next: Awaiting, within limit: Duration?) {
        awaiting = next
        deadline?.cancel()
        deadline = nil
        guard let limit, let context else { return }
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(limit)) { [self] in
            deadline = nil
            logger.debug("closing a connection whose client is too slow", metadata: ["awaiting": "\(awaiting)"])
            self.context?.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension ClientDeadlines: Sendable {}

/// Tells `ClientDeadlines` where each HTTP exchange stands, and marks an answer that ends the
/// connection with `Connection: close` so the client knows not to send another request on it.
final class HTTPExchangeObserver: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let deadlines: ClientDeadlines

    init(deadlines: ClientDeadlines) {
        self.deadlines = deadlines
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: deadlines.requestHeadRead()
        case .body: break
        case .end: deadlines.requestEnded()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.kind != .informational:
            if deadlines.answerBegins() {
                head.headerFields[.connection] = "close"
                context.write(wrapOutboundOut(.head(head)), promise: promise)
            } else {
                context.write(data, promise: promise)
            }
        case .head, .body:
            context.write(data, promise: promise)
        case .end:
            guard deadlines.answerEndsConnection else {
                deadlines.answerWritten()
                context.write(data, promise: promise)
                return
            }
            // The output is shut only once the answer has reached the socket.
            let written = promise ?? context.eventLoop.makePromise()
            let deadlines = self.deadlines
            written.futureResult.assumeIsolated().whenComplete { _ in deadlines.answerWritten() }
            context.writeAndFlush(data, promise: written)
        }
    }
}

@available(*, unavailable)
extension HTTPExchangeObserver: Sendable {}
