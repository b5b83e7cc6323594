import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A real syslog receiver on 127.0.0.1 for a test: it takes TCP connections, splits what arrives
/// into messages by RFC 6587 octet counting (`LEN SP MSG`), and records each message's bytes. A
/// frame that is not octet counted is counted as a framing error and its connection closed. It can
/// be stopped (the port closed and every connection cut) and started again on the same port, as a
/// receiver that goes down and comes back.
public final class SyslogReceiver: Sendable {
    private struct State {
        var messages: [[UInt8]] = []
        var framingErrors = 0
        var server: (any Channel)?
        var connections: [ObjectIdentifier: any Channel] = [:]
        var port = 0
    }

    private let state = Mutex(State())

    private init() {}

    public static func start(port: Int = 0) async throws -> SyslogReceiver {
        let receiver = SyslogReceiver()
        try await receiver.listen(on: port)
        return receiver
    }

    public var port: Int { state.withLock { $0.port } }
    public var address: String { "127.0.0.1:\(port)" }
    /// Every message received, in the order received, without its length prefix.
    public var messages: [[UInt8]] { state.withLock { $0.messages } }
    public var framingErrors: Int { state.withLock { $0.framingErrors } }

    public func stop() async {
        let (server, connections) = state.withLock { state in
            defer {
                state.server = nil
                state.connections = [:]
            }
            return (state.server, Array(state.connections.values))
        }
        try? await server?.close().get()
        for connection in connections { try? await connection.close().get() }
    }

    public func restart() async throws {
        try await listen(on: port)
    }

    private func listen(on port: Int) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(OctetCountedFrames(receiver: self))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        state.withLock { state in
            state.server = server
            state.port = server.localAddress?.port ?? 0
        }
    }

    fileprivate func opened(_ channel: any Channel) {
        state.withLock { $0.connections[ObjectIdentifier(channel)] = channel }
    }

    fileprivate func closed(_ channel: any Channel) {
        _ = state.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    fileprivate func received(_ message: [UInt8]) {
        state.withLock { $0.messages.append(message) }
    }

    fileprivate func misframed() {
        state.withLock { $0.framingErrors += 1 }
    }
}

/// Splits a connection's bytes into octet-counted messages: a decimal length (no leading zero),
/// a space, then exactly that many bytes.
private final class OctetCountedFrames: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let receiver: SyslogReceiver
    private var pending: [UInt8] = []

    init(receiver: SyslogReceiver) {
        self.receiver = receiver
    }

    func channelActive(context: ChannelHandlerContext) {
        receiver.opened(context.channel)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        receiver.closed(context.channel)
        if !pending.isEmpty { receiver.misframed() }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending += Array(unwrapInboundIn(data).readableBytesView)
        while let space = pending.prefix(8).firstIndex(of: UInt8(ascii: " ")) {
            let digits = pending[..<space]
            guard let first = digits.first, first != UInt8(ascii: "0"), digits.allSatisfy({ (0x30...0x39).contains($0) }),
                  let length = Int(String(decoding: digits, as: UTF8.self))
            else {
                receiver.misframed()
                pending = []
                context.close(promise: nil)
                return
            }
            guard pending.count >= space + 1 + length else { return }
            receiver.received(Array(pending[(space + 1)..<(space + 1 + length)]))
            pending.removeFirst(space + 1 + length)
        }
        if pending.count >= 8 {
            // Eight bytes without a space: no length of a message this receiver takes.
            receiver.misframed()
            pending = []
            context.close(promise: nil)
        }
    }
}
