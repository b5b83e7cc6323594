extension AsciicastEvent {
    /// The time of the event on `bytes`, the line checked as `init(jsonLine:)` checks it but
    /// without decoding its data: what the gateway needs of each line of an upload, at the speed
    /// of a terminal's flood. The usual shape (`[time, "o", "text"]`, `"i"` or `"m"`) is read
    /// here; anything else, a resize, a code written with an escape, or a line that is wrong, is
    /// left to `init(jsonLine:)`, which decides it and says what is wrong.
    public static func time(ofJSONLine bytes: some Collection<UInt8>) throws(AsciicastFormatError) -> AsciicastTime {
        if let time = try usualShapeTime(Array(bytes)) { return time }
        return try AsciicastEvent(jsonLine: bytes).time
    }

    /// The time of a line of the usual shape, nil when it is not one; throws only for a line of
    /// that shape whose number or data `init(jsonLine:)` would refuse too.
    private static func usualShapeTime(_ bytes: [UInt8]) throws(AsciicastFormatError) -> AsciicastTime? {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        guard parser.take(UInt8(ascii: "[")) else { return nil }
        parser.skipWhitespace()
        let numberStart = parser.index
        while parser.index < bytes.count, JSONParser.isNumberByte(bytes[parser.index]) { parser.index += 1 }
        guard parser.index > numberStart, JSONNumberText(bytes[numberStart..<parser.index]) != nil else { return nil }
        let time = try AsciicastTime(jsonNumber: bytes[numberStart..<parser.index])
        parser.skipWhitespace()
        guard parser.take(UInt8(ascii: ",")) else { return nil }
        parser.skipWhitespace()
        guard parser.take(UInt8(ascii: "\"")), parser.index < bytes.count,
              [UInt8(ascii: "o"), UInt8(ascii: "i"), UInt8(ascii: "m")].contains(bytes[parser.index])
        else { return nil }
        parser.index += 1
        guard parser.take(UInt8(ascii: "\"")) else { return nil }
        parser.skipWhitespace()
        guard parser.take(UInt8(ascii: ",")) else { return nil }
        parser.skipWhitespace()
        guard parser.index < bytes.count, bytes[parser.index] == UInt8(ascii: "\"") else { return nil }
        try parser.skipString()
        parser.skipWhitespace()
        guard parser.take(UInt8(ascii: "]")) else { return nil }
        parser.skipWhitespace()
        return parser.index == bytes.count ? time : nil
    }
}

extension JSONParser {
    /// Steps over `byte` when it is next.
    mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }
}
