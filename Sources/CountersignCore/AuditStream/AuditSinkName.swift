/// The name of a configured audit stream sink (`detection`, `siem-syslog`), shaped like a channel's
/// name: the store keys each sink's cursor by it and the metrics label it. Where a sink sends, and
/// with which secret, stays in the gateway's configuration, never in rows.
public struct AuditSinkName: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) throws(DomainError) {
        // One spelling rule for every name a configuration gives, stated once in `ChannelName`.
        guard (try? ChannelName(rawValue)) != nil else {
            throw DomainError(
                .invalidField, "a sink name is 1 to \(ChannelName.maximumLength) lowercase letters, digits and hyphens, not starting with a hyphen"
            )
        }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static func < (lhs: AuditSinkName, rhs: AuditSinkName) -> Bool { lhs.rawValue < rhs.rawValue }
}
