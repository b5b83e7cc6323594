/// An outbox message's identifier, spelled like a request's (20 characters of lowercase Crockford
/// base32, 100 random bits).
public struct OutboxID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) throws(DomainError) {
        guard (try? RequestID(rawValue)) != nil else {
            throw DomainError(.invalidField, "outbox message id must be \(RequestID.length) characters of lowercase base32")
        }
        self.rawValue = rawValue
    }

    public static func random(using generator: inout some RandomNumberGenerator) -> OutboxID {
        OutboxID(unchecked: RequestID.random(using: &generator).rawValue)
    }

    public static func random() -> OutboxID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    private init(unchecked rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static func < (lhs: OutboxID, rhs: OutboxID) -> Bool { lhs.rawValue < rhs.rawValue }
}
