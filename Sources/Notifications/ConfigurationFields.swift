import Yams

/// A mapping of the configuration file by key, its keys checked against those its place allows:
/// a misspelt `routing_kye_env` must be refused, not leave the channel without its key. Anchors,
/// aliases and hand-written tags are refused: they let one line change a setting written elsewhere.
struct ConfigurationFields {
    private let entries: [String: Node]
    private let channel: String?

    /// `allowed` nil reads the mapping without checking its keys (to learn a channel's kind first).
    init(_ node: Node, allowed: [String]?, channel: String?) throws(NotificationConfigurationError) {
        self.channel = channel
        guard case .mapping(let mapping) = node, node.anchor == nil, node.tag.isPlain(.map) else {
            throw NotificationConfigurationError(.invalidValue, channel: channel, channel == nil ? "the file must be a mapping" : "settings must be a mapping of keys to values")
        }
        var entries: [String: Node] = [:]
        for (key, value) in mapping {
            let name = try Self.text(key, channel: channel, field: nil)
            if let allowed, !allowed.contains(name) {
                throw NotificationConfigurationError(
                    .unknownKey, channel: channel, field: String(name.prefix(64)), "is not a setting here (allowed: \(allowed.joined(separator: ", ")))"
                )
            }
            entries[name] = value
        }
        self.entries = entries
    }

    /// The value of `key` unless it is absent or written as null (`key:` with nothing after it).
    func present(_ key: String) -> Node? {
        guard let value = entries[key], !(value.scalar.map { $0.string.isEmpty && $0.style == .plain } ?? false) else { return nil }
        return value
    }

    func required(_ key: String) throws(NotificationConfigurationError) -> Node {
        guard let value = present(key) else { throw NotificationConfigurationError(.missingField, channel: channel, field: key, "is required") }
        return value
    }

    /// A scalar's text. The message never quotes the value: it may be a secret written in the wrong place.
    static func text(_ node: Node, channel: String?, field: String?) throws(NotificationConfigurationError) -> String {
        guard case .scalar(let scalar) = node, node.anchor == nil, node.tag.isPlain(.str) else {
            throw NotificationConfigurationError(.syntax, channel: channel, field: field, "must be a plain text value (no anchors, aliases, tags or nested values)")
        }
        return scalar.string
    }
}
