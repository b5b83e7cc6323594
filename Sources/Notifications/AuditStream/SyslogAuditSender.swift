import CountersignCore
import Foundation
import NIOCore
import NIOPosix

/// A syslog sink over TCP: each batch goes on a connection of its own, its framed messages written
/// in order and flushed, then the connection is closed. The acknowledgement is the flush: RFC 6587
/// has no answer to wait for, so a receiver that accepted the connection and died before reading
/// loses that batch (docs/audit-stream.md says so; the HTTP sink acknowledges what it took). A
/// fresh connection per batch means a write never goes into a connection the receiver has already
/// closed, which would be lost without an error. The whole attempt, connecting included, is
/// bounded by `timeout`: a receiver that stops reading costs an attempt.
public struct SyslogAuditSender: AuditStreamSender {
    public let sink: AuditSink
    let destination: SyslogDestination
    let timeout: Duration

    /// Nil for a sink of another kind.
    public init?(sink: AuditSink, timeout: Duration = HTTPChannelSender.defaultTimeout) {
        guard case .syslog(let destination) = sink.destination else { return nil }
        self.sink = sink
        self.destination = destination
        self.timeout = timeout
    }

    public func encode(_ record: AuditRecord) -> EncodedAuditRecord {
        EncodedAuditRecord(record: record, bytes: SyslogMessage.framed(record, to: destination))
    }

    public func send(_ batch: [EncodedAuditRecord]) async -> DeliveryOutcome {
        guard !batch.isEmpty else { return .delivered }
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.nanoseconds(timeout.nanoseconds))
                .connect(host: destination.host, port: destination.port).get()
        } catch {
            return ChannelAnswer.unanswered(problem(error, connecting: true), channel: sink)
        }
        // A write the receiver does not read would never end: closing the channel fails it.
        let deadline = channel.eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) { channel.close(promise: nil) }
        defer { deadline.cancel() }
        var buffer = channel.allocator.buffer(capacity: batch.reduce(0) { $0 + $1.byteCount })
        for item in batch { buffer.writeBytes(item.bytes) }
        do {
            try await channel.writeAndFlush(buffer).get()
        } catch {
            channel.close(promise: nil)
            return ChannelAnswer.unanswered(problem(error, connecting: false), channel: sink)
        }
        try? await channel.close().get()
        return .delivered
    }

    /// A failure in the system's words, which name no secret (a syslog sink has none).
    private func problem(_ error: any Error, connecting: Bool) -> String {
        switch error {
        case let error as IOError:
            "\(connecting ? "cannot connect" : "cannot write"): \(String(cString: strerror(error.errnoCode)))"
        case let error as ChannelError:
            switch error {
            case .connectTimeout: "cannot connect within \(timeout.seconds) s"
            case .ioOnClosedChannel, .alreadyClosed: "the batch was not written within \(timeout.seconds) s, or the receiver closed the connection"
            default: "\(connecting ? "cannot connect" : "cannot write"): \(error)"
            }
        default:
            "\(connecting ? "cannot connect" : "cannot write"): \(String(describing: error).prefix(ChannelAnswer.quotedAnswerLength))"
        }
    }
}
