/// How long a client may take over each part of an HTTP exchange, and how many connections the
/// gateway holds at once. Without them a client that trickles its request a byte at a time, or
/// never sends it, keeps a connection and its memory for as long as it likes.
public struct ConnectionLimits: Sendable, Equatable {
    /// Connections held at once; beyond it a new connection is answered 503 and closed at once.
    public var maximumConnections: Int
    /// The whole request head (request line and headers) must arrive within this, counted from
    /// its first byte (or from the accept, for a connection's first request).
    public var headerTimeout: Duration
    /// The whole request body must arrive within this, counted from the end of the head.
    public var bodyTimeout: Duration
    /// A kept-alive connection with no request under way is closed after this.
    public var idleTimeout: Duration

    public init(
        maximumConnections: Int = 1000, headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(30),
        idleTimeout: Duration = .seconds(30)
    ) {
        self.maximumConnections = maximumConnections
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
    }

    /// The ranges `countersignd` accepts: below them a slow but honest client fails, above them
    /// the limit no longer protects anything.
    public static let connectionRange = 1...100_000
    public static let timeoutRange: ClosedRange<Duration> = .seconds(1)...(.seconds(3600))
}
