import AsyncHTTPClient
import CountersignAPI
import Foundation
import NIOCore
import NIOHTTP1

/// Requests sent to a live gateway all at once, each on a connection of its own. The test
/// framework's pooled client holds a burst to 8 connections per host behind a 15-second
/// deadline, so on a machine busy with other suites the queued requests timed out waiting for a
/// connection before the gateway had been asked; and the burst was not one.
struct RequestBurst {
    /// Far above what any request takes: a bound that turns a hang into a failure, never an outcome.
    static let patience: TimeAmount = .seconds(60)

    let port: Int

    /// The statuses of `count` requests sent at once, in no particular order.
    func statuses(_ count: Int, _ method: HTTPMethod, _ path: String, body: @Sendable (_ index: Int) throws -> (any Encodable)? = { _ in nil }) async throws -> [HTTPResponseStatus] {
        let requests = try (0..<count).map { index in
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
            request.method = method
            if let body = try body(index) {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: try APICoding.makeEncoder().encode(body)))
            }
            return request
        }
        var pool = HTTPClient.Configuration.ConnectionPool()
        pool.concurrentHTTP1ConnectionsPerHostSoftLimit = count
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(connectionPool: pool))
        do {
            let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for request in requests {
                    group.addTask {
                        let response = try await client.execute(request, deadline: .now() + Self.patience)
                        _ = try await response.body.collect(upTo: 1 << 20)
                        return response.status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            try await client.shutdown()
            return statuses
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
