import AsyncHTTPClient
import CountersignCore
import Foundation
import NIOCore
import NIOHTTP1

/// One POST to a receiver, bounded as a whole (connecting, the answer's head and its body) by
/// `timeout`, its answer read up to `answerLimit` and judged by `ChannelAnswer`: a receiver that
/// stalls or floods costs an attempt, not the caller. Notification channels and audit stream
/// sinks send through it alike.
struct HTTPAttempt: Sendable {
    static let answerLimit = 64 * 1024

    let client: HTTPClient
    let clock: any WallClock
    let timeout: Duration

    func post(_ request: ChannelRequest, to endpoint: some AnsweringEndpoint) async -> DeliveryOutcome {
        let timeout = timeout
        do {
            return try await withThrowingTaskGroup(of: DeliveryOutcome.self) { group in
                group.addTask { try await send(request, to: endpoint) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return ChannelAnswer.unanswered("no answer within \(timeout.seconds) s", channel: endpoint)
                }
                defer { group.cancelAll() }
                guard let first = try await group.next() else { return ChannelAnswer.unanswered("the attempt ended without an outcome", channel: endpoint) }
                return first
            }
        } catch is CancellationError {
            return ChannelAnswer.unanswered("the attempt was cancelled", channel: endpoint)
        } catch {
            return ChannelAnswer.unanswered(problem(error), channel: endpoint)
        }
    }

    private func send(_ request: ChannelRequest, to endpoint: some AnsweringEndpoint) async throws -> DeliveryOutcome {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = .POST
        for header in request.headers { outgoing.headers.add(name: header.name, value: header.value) }
        outgoing.body = .bytes(ByteBuffer(bytes: request.body))
        let response = try await client.execute(outgoing, deadline: .now() + .nanoseconds(timeout.nanoseconds))
        let answer = try await Self.collect(response.body, upTo: Self.answerLimit)
        return ChannelAnswer.outcome(
            status: Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"), answer: answer, channel: endpoint, now: clock.now()
        )
    }

    /// The answer's first `limit` bytes; the rest is read and dropped, so the connection can serve
    /// the next attempt. A flood is still cut by the attempt's timeout.
    static func collect(_ body: HTTPClientResponse.Body, upTo limit: Int) async throws -> [UInt8] {
        var kept: [UInt8] = []
        for try await buffer in body where kept.count < limit {
            kept += buffer.readableBytesView.prefix(limit - kept.count)
        }
        return kept
    }

    /// A failure in words that carry no URL: the client's own error names (`connectTimeout`,
    /// `remoteConnectionClosed`) and the system's (`Connection refused`).
    func problem(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError:
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout: "no answer within \(timeout.seconds) s"
            case .remoteConnectionClosed: "the connection was closed before the answer"
            default: "the HTTP client failed (\(error))"
            }
        case let error as IOError:
            "cannot connect: \(String(cString: strerror(error.errnoCode)))"
        default:
            // NIO's connection errors name the host and port tried, no path; the caller withholds
            // the endpoint's secrets from this all the same.
            "cannot connect: \(String(describing: error).prefix(ChannelAnswer.quotedAnswerLength))"
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Whole seconds, for messages.
    var seconds: Int64 { components.seconds }
}
