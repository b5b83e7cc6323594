/// Why a recording (or a line of one, or a search over one) was refused. `code` is stable and
/// compared in tests; `line` is the 1-based line of the file where reading stopped (the header is
/// line 1), nil when the error is not about a line; `message` is for people.
public struct AsciicastFormatError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// Not JSON, or JSON of another shape than the spec's header or `[time, code, data]`.
        case malformed
        /// A line, a string or a query longer than its bound.
        case tooLong = "too_long"
        /// More bytes or more events than the reader was allowed to take.
        case tooLarge = "too_large"
        /// A header whose version is not 2.
        case unsupportedVersion = "unsupported_version"
        /// A header field or an event's data outside what the spec or our bounds allow.
        case invalidField = "invalid_field"
        /// A time that is not a non-negative number of seconds below ten years.
        case invalidTime = "invalid_time"
        /// An event earlier than the one before it.
        case timeWentBack = "time_went_back"
        /// An event code other than "o", "i", "r" and "m".
        case unknownEventCode = "unknown_event_code"
        /// A search query that is empty or longer than its bound.
        case invalidQuery = "invalid_query"
    }

    public let code: Code
    public let line: Int?
    public let message: String

    public init(_ code: Code, _ message: String, line: Int? = nil) {
        self.code = code
        self.line = line
        self.message = message
    }

    /// The same error, said of `line`.
    func at(line: Int) -> AsciicastFormatError {
        AsciicastFormatError(code, message, line: line)
    }

    public var description: String {
        if let line { return "line \(line): \(code.rawValue): \(message)" }
        return "\(code.rawValue): \(message)"
    }
}
