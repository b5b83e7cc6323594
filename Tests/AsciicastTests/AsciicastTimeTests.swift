import Asciicast
import Testing

@Suite("Asciicast times: six decimals out, any JSON number in, no float on the way")
struct AsciicastTimeTests {
    static let written: [(Int64, String)] = [
        (0, "0.000000"),
        (1, "0.000001"),
        (2_710, "0.002710"),
        (248_848, "0.248848"),
        (1_500_000, "1.500000"),
        (12_034_000, "12.034000"),
        (86_400_000_001, "86400.000001"),
        (AsciicastTime.maximum.microseconds, "315576000.000000"),
    ]

    @Test("a time is written as seconds with exactly six decimals", arguments: 0..<written.count)
    func writes(_ index: Int) throws {
        let (microseconds, text) = Self.written[index]
        let time = try AsciicastTime(microseconds: microseconds)
        #expect(time.description == text)
        #expect(try AsciicastTime(jsonNumber: Array(text.utf8)) == time)
    }

    /// What asciinema 2.2 writes (Python's repr of round(t, 6)) and other JSON spellings.
    static let read: [(String, Int64)] = [
        ("0.00271", 2_710),
        ("1e-06", 1),
        ("5e-05", 50),
        ("3.0", 3_000_000),
        ("12", 12_000_000),
        ("0", 0),
        ("0.0", 0),
        ("1.5E+2", 150_000_000),
        ("2.5e0", 2_500_000),
        ("0.1234565", 123_457), // half up at the seventh decimal
        ("0.1234564999", 123_456),
        ("0.0000004", 0),
        ("0.0000005", 1),
        ("4e-07", 0),
        ("9.9999995", 10_000_000), // the carry runs through every digit
        ("1e-9999", 0),
        ("0.248848", 248_848),
        ("315576000", 315_576_000_000_000),
    ]

    @Test("asciinema's float spellings and every JSON number form are read to the microsecond", arguments: 0..<read.count)
    func reads(_ index: Int) throws {
        let (text, microseconds) = Self.read[index]
        #expect(try AsciicastTime(jsonNumber: Array(text.utf8)).microseconds == microseconds, "\(text)")
    }

    static let refused = [
        "-1", "-0", "-0.000001", "NaN", "Infinity", "-Infinity", "nan", "1e400", "315576000.000001", "1e10", "01", ".5", "1.",
        "+1", "1e", "1e+", "0x10", "1_000", " 1", "1 ", "", "1.5.2", "9999999999999999999999", String(repeating: "1", count: 65),
    ]

    @Test("negative, NaN-like, malformed and absurd times are refused", arguments: refused)
    func refuses(_ text: String) {
        let error = #expect(throws: AsciicastFormatError.self, "\(text)") { try AsciicastTime(jsonNumber: Array(text.utf8)) }
        #expect(error?.code == .invalidTime, "\(text)")
    }

    @Test("a time built from microseconds is bounded, and a clock reading is clamped instead")
    func bounds() {
        #expect(throws: AsciicastFormatError.self) { try AsciicastTime(microseconds: -1) }
        #expect(throws: AsciicastFormatError.self) { try AsciicastTime(microseconds: AsciicastTime.maximum.microseconds + 1) }
        #expect(AsciicastTime(clamping: -5) == .zero)
        #expect(AsciicastTime(clamping: .max) == .maximum)
    }

    @Test("every time written reads back as itself")
    func roundTrips() throws {
        var generator = SeededGenerator(seed: 13)
        for _ in 0..<5_000 {
            let time = try AsciicastTime(microseconds: Int64.random(in: 0...AsciicastTime.maximum.microseconds, using: &generator))
            #expect(try AsciicastTime(jsonNumber: Array(time.description.utf8)) == time)
        }
    }
}
