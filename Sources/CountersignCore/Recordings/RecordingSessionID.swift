/// One run of a recorder: 16 random bytes as 32 lowercase hex digits, made by the recorder when
/// its session begins and sent with every start call it makes (retries included). A certificate
/// may open several sessions; this is how the gateway tells a retried start from another session.
public struct RecordingSessionID: Hashable, Sendable, CustomStringConvertible {
    public static let length = 32

    public let rawValue: String

    public init(_ rawValue: String) throws(DomainError) {
        let digits = rawValue.utf8
        guard digits.count == Self.length, digits.allSatisfy(Self.isLowercaseHex) else {
            throw DomainError(.invalidField, "session must be \(Self.length) lowercase hexadecimal digits")
        }
        self.rawValue = rawValue
    }

    public static func random(using generator: inout some RandomNumberGenerator) -> RecordingSessionID {
        let digits = "0123456789abcdef".map { $0 }
        return RecordingSessionID(unchecked: String((0..<length).map { _ in digits[Int.random(in: 0..<16, using: &generator)] }))
    }

    public static func random() -> RecordingSessionID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    private init(unchecked rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    private static func isLowercaseHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }
}
