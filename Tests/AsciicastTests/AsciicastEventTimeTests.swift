@testable import Asciicast
import Testing

/// The gateway's quick reading of an event line's time takes exactly the lines the full reading
/// takes, at the same time, and refuses exactly the others.
@Suite("An event line's time, read quickly")
struct AsciicastEventTimeTests {
    static func full(_ line: [UInt8]) -> AsciicastTime? { try? AsciicastEvent(jsonLine: line).time }
    static func quick(_ line: [UInt8]) -> AsciicastTime? { try? AsciicastEvent.time(ofJSONLine: line) }

    static let lines: [String] = [
        #"[0.5, "o", "ls\r\n"]"#,
        #"[1.000001,"i","x"]"#,
        #"  [ 12 , "m" , "" ]  "#,
        #"[3.25, "o", "caf\u00e9 \ud83d\udd11 \" \\ \/ \b \f \n \r \t"]"#,
        "[0.1, \"o\", \"caf\u{E9} \u{1F511} raw UTF-8\"]",
        #"[2, "r", "100x40"]"#,
        #"[2, "\u006f", "escaped code"]"#,
        #"[1e2, "o", "exponent"]"#,
        #"[0.5, "o", "ls"]"# + "\n",
        // Refused, each for one reason.
        #"[-1, "o", "negative time"]"#,
        #"[01, "o", "leading zero"]"#,
        #"[1., "o", "no fraction digits"]"#,
        #"[0.5, "x", "unknown code"]"#,
        #"[0.5, "oo", "long code"]"#,
        #"[0.5, "o"]"#,
        #"[0.5, "o", "a", "b"]"#,
        #"[0.5, "o", 7]"#,
        #"{"t": 0.5}"#,
        #"[0.5, "o", "lone \ud83d"]"#,
        #"[0.5, "o", "lone \udd11 low"]"#,
        #"[0.5, "o", "bad \x escape"]"#,
        #"[0.5, "o", "short \u12"]"#,
        "[0.5, \"o\", \"raw \u{1} control\"]",
        #"[0.5, "o", "unclosed]"#,
        #"[0.5, "o", "x"] trailing"#,
        #"[0.5, "o", "x"],"#,
        #"[0.5 "o", "x"]"#,
        #"[0.5, "o" "x"]"#,
        #"[0.5, "r", "100 by 40"]"#,
        "",
    ]

    @Test("each line is taken or refused as the full reading decides", arguments: lines)
    func sameDecision(_ text: String) {
        let line = Array(text.utf8)
        #expect(Self.quick(line) == Self.full(line), "\(text)")
    }

    @Test("invalid UTF-8 in the data is refused as the full reading refuses it")
    func invalidUTF8() {
        for bad: [UInt8] in [[0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF8, 0x88, 0x80, 0x80, 0x80]] {
            let line = Array(#"[0.5, "o", "x"#.utf8) + bad + Array(#"y"]"#.utf8)
            #expect(Self.full(line) == nil && Self.quick(line) == nil, "\(bad)")
        }
    }

    @Test("ten thousand mutations of valid lines: the same decision and the same time every time")
    func mutations() {
        var generator = SeededGenerator(seed: 0x5EED)
        let seeds = Self.lines.prefix(9).map { Array($0.utf8) }
        let alphabet = Array(#"[]{}",:\u0 1.e-oirm"#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xA9, 0xFF, 0x0A]
        for round in 0..<10_000 {
            var line = seeds[round % seeds.count]
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let position = Int.random(in: 0...line.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0 where position < line.count: line[position] = alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
                case 1 where position < line.count: line.remove(at: position)
                default: line.insert(alphabet[Int.random(in: 0..<alphabet.count, using: &generator)], at: position)
                }
            }
            #expect(Self.quick(line) == Self.full(line), "\(String(decoding: line, as: UTF8.self))")
        }
    }
}
