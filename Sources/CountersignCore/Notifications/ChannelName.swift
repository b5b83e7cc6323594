/// The name of a configured notification channel (`oncall-pagerduty`, `security-slack`): lowercase
/// letters, digits and hyphens, a letter or digit first, at most 63. Policies and outbox rows name
/// channels by it; where a channel sends and with which secret stays in the gateway's own
/// configuration, never in policies or rows.
public struct ChannelName: Hashable, Sendable, Comparable, CustomStringConvertible {
    public static let maximumLength = 63

    public let rawValue: String

    public init(_ rawValue: String) throws(DomainError) {
        let bytes = rawValue.utf8
        guard let first = bytes.first, bytes.count <= Self.maximumLength, Self.isLetterOrDigit(first),
              bytes.allSatisfy({ Self.isLetterOrDigit($0) || $0 == UInt8(ascii: "-") })
        else {
            throw DomainError(.invalidField, "a channel name is 1 to \(Self.maximumLength) lowercase letters, digits and hyphens, not starting with a hyphen")
        }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static func < (lhs: ChannelName, rhs: ChannelName) -> Bool { lhs.rawValue < rhs.rawValue }

    private static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
