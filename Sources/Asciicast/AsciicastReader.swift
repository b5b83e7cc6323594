/// How much of a recording a reader takes before it refuses the rest: the caller decides, by
/// what it is reading (a chunk of an upload, a whole stored recording).
public struct AsciicastLimits: Hashable, Sendable {
    /// Bytes in one line, its newline not counted.
    public var maximumLineLength: Int
    /// Bytes in all, newlines counted.
    public var maximumTotalSize: Int
    /// Events, the header not counted.
    public var maximumEventCount: Int

    public init(maximumLineLength: Int, maximumTotalSize: Int, maximumEventCount: Int) {
        self.maximumLineLength = maximumLineLength
        self.maximumTotalSize = maximumTotalSize
        self.maximumEventCount = maximumEventCount
    }
}

/// Reads a recording line by line as its bytes arrive, in pieces cut anywhere: the header first,
/// then events, each checked as soon as its newline arrives. A line is never held past
/// `maximumLineLength`, so memory stays bounded whatever is sent. The first error stops the
/// reader for good: every later call throws it again.
public struct AsciicastReader: Sendable {
    public let limits: AsciicastLimits
    public private(set) var header: AsciicastHeader?
    public private(set) var eventCount = 0
    /// The time of the last event read, zero before the first.
    public private(set) var lastTime = AsciicastTime.zero
    /// Lines read to their end so far (the header is line 1).
    public private(set) var completeLines = 0
    private var totalSize = 0
    private var partial: [UInt8] = []
    private var failure: AsciicastFormatError?

    public init(limits: AsciicastLimits) {
        self.limits = limits
    }

    /// Reads `bytes` and answers the events whose lines they complete.
    public mutating func read(_ bytes: some Collection<UInt8>) throws(AsciicastFormatError) -> [AsciicastEvent] {
        if let failure { throw failure }
        do throws(AsciicastFormatError) {
            return try readChecked(Array(bytes))
        } catch {
            failure = error
            throw error
        }
    }

    /// Ends the recording: reads a last line left without its newline, and requires a header.
    public mutating func finish() throws(AsciicastFormatError) -> [AsciicastEvent] {
        if let failure { throw failure }
        do throws(AsciicastFormatError) {
            var events: [AsciicastEvent] = []
            if !partial.isEmpty {
                let line = partial
                partial = []
                if let event = try take(line[...]) { events.append(event) }
            }
            guard header != nil else { throw AsciicastFormatError(.malformed, "a recording begins with its header", line: 1) }
            return events
        } catch {
            failure = error
            throw error
        }
    }

    private mutating func readChecked(_ bytes: [UInt8]) throws(AsciicastFormatError) -> [AsciicastEvent] {
        guard bytes.count <= limits.maximumTotalSize - totalSize else {
            throw AsciicastFormatError(.tooLarge, "a recording is at most \(limits.maximumTotalSize) bytes", line: completeLines + 1)
        }
        totalSize += bytes.count
        var events: [AsciicastEvent] = []
        var start = 0
        while start < bytes.count {
            guard let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                guard bytes.count - start <= limits.maximumLineLength - partial.count else { throw lineTooLong() }
                partial.append(contentsOf: bytes[start...])
                break
            }
            guard newline - start <= limits.maximumLineLength - partial.count else { throw lineTooLong() }
            let event: AsciicastEvent?
            if partial.isEmpty {
                event = try take(bytes[start..<newline])
            } else {
                partial.append(contentsOf: bytes[start..<newline])
                let line = partial
                partial = []
                event = try take(line[...])
            }
            if let event { events.append(event) }
            start = newline + 1
        }
        return events
    }

    private func lineTooLong() -> AsciicastFormatError {
        AsciicastFormatError(.tooLong, "a line is at most \(limits.maximumLineLength) bytes", line: completeLines + 1)
    }

    /// One whole line, its newline removed: the header, or an event (answered).
    private mutating func take(_ line: ArraySlice<UInt8>) throws(AsciicastFormatError) -> AsciicastEvent? {
        let number = completeLines + 1
        do throws(AsciicastFormatError) {
            guard header != nil else {
                header = try AsciicastHeader(jsonLine: line)
                completeLines = number
                return nil
            }
            guard eventCount < limits.maximumEventCount else {
                throw AsciicastFormatError(.tooLarge, "a recording has at most \(limits.maximumEventCount) events")
            }
            let event = try AsciicastEvent(jsonLine: line)
            guard event.time >= lastTime else {
                throw AsciicastFormatError(.timeWentBack, "an event at \(event.time) s comes after one at \(lastTime) s")
            }
            lastTime = event.time
            eventCount += 1
            completeLines = number
            return event
        } catch {
            throw error.at(line: number)
        }
    }
}
