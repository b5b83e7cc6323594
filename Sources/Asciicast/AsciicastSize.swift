/// A terminal's size in character cells: the header's `width` and `height`, and the data of a
/// resize event, `"COLSxROWS"` (asciicast v2 §"r - resize"). Bounded, so that a recording cannot
/// make a player or the text export allocate a screen of any size it likes.
public struct AsciicastSize: Hashable, Sendable, CustomStringConvertible {
    public static let bounds = 1...1000

    public let columns: Int
    public let rows: Int

    public init(columns: Int, rows: Int) throws(AsciicastFormatError) {
        guard Self.bounds.contains(columns), Self.bounds.contains(rows) else {
            throw AsciicastFormatError(.invalidField, "a terminal is \(Self.bounds.lowerBound) to \(Self.bounds.upperBound) columns by as many rows")
        }
        self.columns = columns
        self.rows = rows
    }

    /// Reads `"COLSxROWS"`: decimal digits, a lowercase x, decimal digits; nothing else.
    public init(resizeData text: String) throws(AsciicastFormatError) {
        let parts = text.utf8.split(separator: UInt8(ascii: "x"), omittingEmptySubsequences: false)
        guard parts.count == 2, let columns = Self.decimal(parts[0]), let rows = Self.decimal(parts[1]) else {
            throw AsciicastFormatError(.invalidField, "a resize is \"COLSxROWS\"")
        }
        try self.init(columns: columns, rows: rows)
    }

    /// `"COLSxROWS"`.
    public var description: String { "\(columns)x\(rows)" }

    private static func decimal(_ digits: some Collection<UInt8>) -> Int? {
        // Four digits hold every size in bounds; more is refused before it can overflow.
        guard (1...4).contains(digits.count) else { return nil }
        var value = 0
        for digit in digits {
            guard (0x30...0x39).contains(digit) else { return nil }
            value = value * 10 + Int(digit - 0x30)
        }
        return value
    }
}
