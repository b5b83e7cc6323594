/// A regular expression a ticket reference must match as a whole, such as `^(INC|CHG)-[0-9]+$`.
/// Only the pattern text is kept: it is compiled at load time to reject bad patterns, and again
/// at each use, which keeps the value `Sendable` and costs microseconds on a human-rate path.
public struct TicketPattern: Hashable, Sendable, CustomStringConvertible {
    public let pattern: String

    public static let maximumLength = 256

    public init(_ pattern: String) throws(DomainError) {
        guard !pattern.isEmpty, pattern.count <= Self.maximumLength else {
            throw DomainError(.invalidField, "ticket pattern must be 1 to \(Self.maximumLength) characters")
        }
        do {
            _ = try Regex(pattern)
        } catch {
            throw DomainError(.invalidField, "ticket pattern '\(pattern)' is not a valid regular expression")
        }
        self.pattern = pattern
    }

    public func matches(_ ticket: String) -> Bool {
        guard let regex = try? Regex(pattern) else { return false }
        return (try? regex.wholeMatch(in: ticket)) != nil
    }

    public var description: String { pattern }
}
