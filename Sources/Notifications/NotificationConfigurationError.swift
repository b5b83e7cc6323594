/// Why the notification channels' configuration was refused. `code` is stable (tests compare it);
/// the message names the channel and the field, and never carries a value that could be a secret:
/// a refused routing key is described, not quoted.
public struct NotificationConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The file cannot be opened or read.
        case unreadable
        /// The file, a secret, a URL or the number of channels is over its bound.
        case tooLarge = "too_large"
        /// Not YAML, or YAML this file does not take (anchors, aliases, tags, several documents).
        case syntax
        case unknownKey = "unknown_key"
        case missingField = "missing_field"
        /// A value of the wrong shape: a channel name, a kind, a URL, a secret.
        case invalidValue = "invalid_value"
        /// A secret given more than one way, or none, or from an unset variable or a missing file.
        case secretSource = "secret_source"
        /// A secret written in a file that others can read, or read from such a file.
        case insecureFile = "insecure_file"
    }

    public let code: Code
    /// The channel as written in the file (bounded), when the problem is in one.
    public let channel: String?
    /// The audit stream sink as written in the file (bounded), when the problem is in one.
    public let sink: String?
    public let field: String?
    public let message: String

    init(_ code: Code, channel: String? = nil, sink: String? = nil, field: String? = nil, _ message: String) {
        self.code = code
        self.channel = channel.map { String($0.prefix(64)) }
        self.sink = sink.map { String($0.prefix(64)) }
        self.field = field
        self.message = message
    }

    /// The same problem placed in the audit stream sink that the readers shared with channels
    /// reported as their channel.
    func inSink() -> NotificationConfigurationError {
        NotificationConfigurationError(code, sink: sink ?? channel, field: field, message)
    }

    public var description: String {
        var place = "notifications"
        if let channel { place += ": channel '\(channel)'" }
        if let sink { place += ": audit_stream sink '\(sink)'" }
        if let field { place += ", field '\(field)'" }
        return "\(place): \(message) [\(code.rawValue)]"
    }
}
