/// A recording's identifier, spelled like a request's (20 characters of lowercase Crockford
/// base32, 100 random bits): it travels inside a certificate and in the recorder's upload URLs.
public struct RecordingID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) throws(DomainError) {
        // The same shape as a request id, checked by the same rule.
        guard (try? RequestID(rawValue)) != nil else {
            throw DomainError(.invalidField, "recording id must be \(RequestID.length) characters of lowercase base32")
        }
        self.rawValue = rawValue
    }

    public static func random(using generator: inout some RandomNumberGenerator) -> RecordingID {
        RecordingID(unchecked: RequestID.random(using: &generator).rawValue)
    }

    public static func random() -> RecordingID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    private init(unchecked rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static func < (lhs: RecordingID, rhs: RecordingID) -> Bool { lhs.rawValue < rhs.rawValue }
}
