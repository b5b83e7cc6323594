import ArgumentParser
import CountersignPolicyFiles
import CountersignServer

/// The HTTP server's limits on slow, idle and too many clients. Each option falls back to its
/// environment variable, then to the `ConnectionLimits` default; a value out of range is refused
/// at start, from the command line or the environment alike.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Connections held at once; beyond it a new connection is answered 503 server_busy and closed (1 to 100000, default 1000). [env: COUNTERSIGN_MAX_CONNECTIONS]")
    var maxConnections: ConnectionCap?

    @Option(help: "Time a client has to send a whole request head, e.g. 10s (1s to 1h, default 10s). [env: COUNTERSIGN_HEADER_TIMEOUT]")
    var headerTimeout: ConnectionTimeout?

    @Option(help: "Time a client has to send a whole request body once the head is in, e.g. 30s (1s to 1h, default 30s). [env: COUNTERSIGN_BODY_TIMEOUT]")
    var bodyTimeout: ConnectionTimeout?

    @Option(help: "Time a kept-alive connection may wait for its next request, e.g. 30s (1s to 1h, default 30s). [env: COUNTERSIGN_IDLE_TIMEOUT]")
    var idleTimeout: ConnectionTimeout?

    func validate() throws {
        _ = try limits()
    }

    func limits() throws -> ConnectionLimits {
        var limits = ConnectionLimits()
        if let cap = try maxConnections ?? Self.fromEnvironment("COUNTERSIGN_MAX_CONNECTIONS", as: ConnectionCap.self) {
            limits.maximumConnections = cap.count
        }
        if let timeout = try headerTimeout ?? Self.fromEnvironment("COUNTERSIGN_HEADER_TIMEOUT", as: ConnectionTimeout.self) {
            limits.headerTimeout = timeout.duration
        }
        if let timeout = try bodyTimeout ?? Self.fromEnvironment("COUNTERSIGN_BODY_TIMEOUT", as: ConnectionTimeout.self) {
            limits.bodyTimeout = timeout.duration
        }
        if let timeout = try idleTimeout ?? Self.fromEnvironment("COUNTERSIGN_IDLE_TIMEOUT", as: ConnectionTimeout.self) {
            limits.idleTimeout = timeout.duration
        }
        return limits
    }

    private static func fromEnvironment<Value: ExpressibleByArgument>(_ name: String, as type: Value.Type) throws -> Value? {
        guard let text = Environment.value(name) else { return nil }
        guard let value = Value(argument: text) else { throw ValidationError("\(name)=\(text) is out of range or not understood") }
        return value
    }
}

struct ConnectionCap: ExpressibleByArgument {
    let count: Int

    init?(argument: String) {
        guard let count = Int(argument), ConnectionLimits.connectionRange.contains(count) else { return nil }
        self.count = count
    }
}

struct ConnectionTimeout: ExpressibleByArgument {
    let duration: Duration

    init?(argument: String) {
        guard let seconds = PolicyDuration.seconds(from: argument), ConnectionLimits.timeoutRange.contains(.seconds(seconds)) else { return nil }
        self.duration = .seconds(seconds)
    }
}
