/// A whole recording (asciicast v2): its header and its events, in time order.
public struct AsciicastFile: Hashable, Sendable {
    public let header: AsciicastHeader
    public let events: [AsciicastEvent]

    /// Refuses events that go back in time, which no reader would take.
    public init(header: AsciicastHeader, events: [AsciicastEvent]) throws(AsciicastFormatError) {
        for (index, pair) in zip(events, events.dropFirst()).enumerated() where pair.1.time < pair.0.time {
            throw AsciicastFormatError(.timeWentBack, "event \(index + 2) is earlier than the one before it", line: index + 3)
        }
        self.header = header
        self.events = events
    }

    /// Reads a whole recording, within `limits`.
    public init(parsing bytes: some Collection<UInt8>, limits: AsciicastLimits) throws(AsciicastFormatError) {
        var reader = AsciicastReader(limits: limits)
        var events = try reader.read(bytes)
        events += try reader.finish()
        guard let header = reader.header else { throw AsciicastFormatError(.malformed, "a recording begins with its header", line: 1) }
        self.header = header
        self.events = events
    }

    /// The recording as asciicast v2 text: the header line, then one line per event.
    public func jsonLines() -> [UInt8] {
        var bytes = header.jsonLine()
        for event in events { event.append(to: &bytes) }
        return bytes
    }
}
