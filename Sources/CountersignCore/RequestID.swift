/// A request's identifier: 20 characters of lowercase Crockford base32 (100 random bits), short
/// enough to type from a terminal, long enough never to collide or be guessed usefully.
public struct RequestID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let rawValue: String

    static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)
    static let length = 20

    public init(_ rawValue: String) throws(DomainError) {
        let bytes = Array(rawValue.utf8)
        guard bytes.count == Self.length, bytes.allSatisfy(Self.alphabet.contains) else {
            throw DomainError(.invalidField, "request id must be \(Self.length) characters of lowercase base32")
        }
        self.rawValue = rawValue
    }

    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> RequestID {
        let characters = (0..<length).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] }
        // The alphabet is ASCII, so the bytes are always a valid string of the checked shape.
        return RequestID(unchecked: String(decoding: characters, as: UTF8.self))
    }

    public static func random() -> RequestID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    private init(unchecked rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static func < (lhs: RequestID, rhs: RequestID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        do {
            try self.init(raw)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
