/// One line of a recording's event stream (asciicast v2 §"Event stream"): `[time, code, data]`.
public struct AsciicastEvent: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// "o": what the terminal was sent to show (the pty's output).
        case output(String)
        /// "i": what the user typed (the pty's input), when input is recorded.
        case input(String)
        /// "r": the terminal was resized.
        case resize(AsciicastSize)
        /// "m": a marker, with an optional label (empty when none).
        case marker(String)

        public var code: String {
            switch self {
            case .output: "o"
            case .input: "i"
            case .resize: "r"
            case .marker: "m"
            }
        }
    }

    public let time: AsciicastTime
    public let kind: Kind

    public init(time: AsciicastTime, _ kind: Kind) {
        self.time = time
        self.kind = kind
    }

    /// The event as one line of JSON, newline included, spaced as asciinema spaces it:
    /// `[1.250000, "o", "ls\r\n"]`.
    public func jsonLine() -> [UInt8] {
        var line: [UInt8] = []
        append(to: &line)
        return line
    }

    /// Appends `jsonLine()` to `line`.
    public func append(to line: inout [UInt8]) {
        line.append(UInt8(ascii: "["))
        time.append(to: &line)
        line.append(contentsOf: #", ""#.utf8)
        line.append(contentsOf: kind.code.utf8)
        line.append(contentsOf: #"", "#.utf8)
        switch kind {
        case .output(let text), .input(let text), .marker(let text): JSONStringEscaping.appendString(text, to: &line)
        case .resize(let size): JSONStringEscaping.appendString(size.description, to: &line)
        }
        line.append(contentsOf: "]\n".utf8)
    }

    /// Reads an event line (a newline at its end is allowed).
    public init(jsonLine bytes: some Collection<UInt8>) throws(AsciicastFormatError) {
        guard case .array(let elements) = try JSONValue.parse(bytes), elements.count == 3 else {
            throw AsciicastFormatError(.malformed, "an event is a JSON array of time, code and data")
        }
        guard case .number(let timeText) = elements[0] else { throw AsciicastFormatError(.invalidTime, "an event's time is a number of seconds") }
        guard case .string(let code) = elements[1] else { throw AsciicastFormatError(.malformed, "an event's code is a string") }
        guard case .string(let data) = elements[2] else { throw AsciicastFormatError(.malformed, "an event's data is a string") }
        let time = try AsciicastTime(jsonNumber: timeText)
        switch code {
        case "o": self.init(time: time, .output(data))
        case "i": self.init(time: time, .input(data))
        case "r": self.init(time: time, .resize(try AsciicastSize(resizeData: data)))
        case "m": self.init(time: time, .marker(data))
        default: throw AsciicastFormatError(.unknownEventCode, "an event code is \"o\", \"i\", \"r\" or \"m\", not \"\(code.prefix(16))\"")
        }
    }
}
