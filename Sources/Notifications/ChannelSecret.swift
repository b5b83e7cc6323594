/// A channel's secret as the configuration gave it: a PagerDuty routing key, a Slack webhook URL
/// (whoever has it can post to the channel), a webhook's HMAC key. Printing it never shows it
/// (`description`, `debugDescription` and the mirror withhold it), so a stray interpolation in a
/// log line, an outcome's reason or an error cannot leak it; `revealed` is spelled out where the
/// secret goes on the wire.
public struct ChannelSecret: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let revealed: String

    public init(_ revealed: String) {
        self.revealed = revealed
    }

    public var description: String { "(withheld)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }

    /// `text` with every occurrence of the secret, and of each of its parts long enough to be
    /// guessed from (a URL's path segments), replaced: a receiver's answer may echo what it was
    /// sent, and that answer becomes an outcome's reason.
    func redacting(_ text: String) -> String {
        var parts = [revealed]
        parts += revealed.split(whereSeparator: { "/?&=".contains($0) }).map(String.init).filter { $0.utf8.count >= 8 }
        return parts.sorted { $0.utf8.count > $1.utf8.count }.reduce(text) { $0.replacingOccurrences(of: $1, with: "(withheld)") }
    }
}
