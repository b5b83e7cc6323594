/// A moment in a recording: microseconds since the session started (asciicast v2 §"Event
/// stream": the time is seconds since the beginning of the recording, a float).
///
/// Held as an integer so that a time read back is the time written, with no Double rounding on
/// the way. Written as seconds with exactly six decimals (`1.500000`), as the spec's examples
/// are. asciinema 2.2 itself writes Python's shortest float text for `round(t, 6)` instead
/// (`0.00271`, `1e-06`, `3.0`); the reader takes both, and any JSON number, rounded to the
/// nearest microsecond.
public struct AsciicastTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Ten years of 365.25 days: a bound far past any session, refusing times that are garbage.
    public static let maximum = AsciicastTime(unchecked: 10 * 36_525 * 864 * 1_000_000)
    public static let zero = AsciicastTime(unchecked: 0)

    public let microseconds: Int64

    public init(microseconds: Int64) throws(AsciicastFormatError) {
        guard microseconds >= 0, microseconds <= Self.maximum.microseconds else {
            throw AsciicastFormatError(.invalidTime, "a time is 0 to \(Self.maximum) seconds")
        }
        self.microseconds = microseconds
    }

    init(unchecked microseconds: Int64) {
        self.microseconds = microseconds
    }

    /// A time made from a clock reading, clamped into 0...maximum rather than refused: the
    /// recorder's clock never stops a recording.
    public init(clamping microseconds: Int64) {
        self.microseconds = min(max(microseconds, 0), Self.maximum.microseconds)
    }

    public static func < (lhs: AsciicastTime, rhs: AsciicastTime) -> Bool {
        lhs.microseconds < rhs.microseconds
    }

    /// Seconds with six decimals, as written in an event line: `12.034000`.
    public var description: String {
        var bytes: [UInt8] = []
        append(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the seconds with six decimals, without making a String (the recorder's hot path).
    public func append(to bytes: inout [UInt8]) {
        // At most 10 digits of seconds, the point and 6 decimals, written from the right.
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &scratch) { buffer in
            var rest = microseconds
            var index = buffer.count
            for position in 0... {
                index -= 1
                if position == 6 {
                    buffer[index] = UInt8(ascii: ".")
                    continue
                }
                buffer[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
                if position > 6 && rest == 0 { break }
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[index...]))
        }
    }

    /// Reads the text of a JSON number (RFC 8259 §6) as seconds, rounded half up to the nearest
    /// microsecond, digit by digit so that no float is involved. Refuses a sign, `NaN`,
    /// `Infinity`, and anything past `maximum`.
    public init(jsonNumber text: some Collection<UInt8>) throws(AsciicastFormatError) {
        guard let number = JSONNumberText(text) else {
            throw AsciicastFormatError(.invalidTime, "a time is a JSON number of seconds")
        }
        guard !number.isNegative else { throw AsciicastFormatError(.invalidTime, "a time is never negative") }
        // The number is 0.d1d2d3… × 10^point; the microsecond digit is digit `point + 6`.
        let (digits, point) = (number.significantDigits, number.decimalPoint)
        guard point <= 10 else { throw AsciicastFormatError(.invalidTime, "a time is 0 to \(Self.maximum) seconds") }
        let kept = point + 6
        var value: Int64 = 0
        if kept > 0 {
            for index in 0..<kept {
                value = value * 10 + Int64(index < digits.count ? digits[index] : 0)
            }
        }
        let next = kept >= 0 && kept < digits.count ? digits[kept] : 0
        if next >= 5 { value += 1 }
        try self.init(microseconds: value)
    }
}

/// The parts of a JSON number's text: its sign, its significant digits (no leading zeros) and
/// where the decimal point falls among them. Refuses whatever RFC 8259's grammar refuses, and
/// exponents past a few thousand (no recording needs one; the bound keeps the arithmetic small).
struct JSONNumberText {
    var isNegative = false
    var significantDigits: [UInt8] = []
    /// The value is 0.significantDigits × 10^decimalPoint.
    var decimalPoint = 0

    static let maximumExponent = 9_999
    static let maximumLength = 64

    init?(_ text: some Collection<UInt8>) {
        guard !text.isEmpty, text.count <= Self.maximumLength else { return nil }
        var index = text.startIndex
        func peek() -> UInt8? { index < text.endIndex ? text[index] : nil }
        func isDigit(_ byte: UInt8?) -> Bool { byte.map { (0x30...0x39).contains($0) } ?? false }
        if peek() == UInt8(ascii: "-") {
            isNegative = true
            text.formIndex(after: &index)
        }
        var integerDigits = 0
        guard let first = peek(), isDigit(first) else { return nil }
        if first == UInt8(ascii: "0") {
            text.formIndex(after: &index)
            guard !isDigit(peek()) else { return nil }
        } else {
            while let byte = peek(), isDigit(byte) {
                significantDigits.append(byte - 0x30)
                integerDigits += 1
                text.formIndex(after: &index)
            }
        }
        var point = integerDigits
        if peek() == UInt8(ascii: ".") {
            text.formIndex(after: &index)
            guard isDigit(peek()) else { return nil }
            while let byte = peek(), isDigit(byte) {
                if significantDigits.isEmpty && byte == 0x30 {
                    point -= 1
                } else {
                    significantDigits.append(byte - 0x30)
                }
                text.formIndex(after: &index)
            }
        }
        if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            text.formIndex(after: &index)
            var negativeExponent = false
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                negativeExponent = sign == UInt8(ascii: "-")
                text.formIndex(after: &index)
            }
            guard isDigit(peek()) else { return nil }
            var exponent = 0
            while let byte = peek(), isDigit(byte) {
                exponent = exponent * 10 + Int(byte - 0x30)
                guard exponent <= Self.maximumExponent else { return nil }
                text.formIndex(after: &index)
            }
            point += negativeExponent ? -exponent : exponent
        }
        guard index == text.endIndex else { return nil }
        while significantDigits.last == 0 { significantDigits.removeLast() }
        if significantDigits.isEmpty { point = 0 }
        decimalPoint = point
    }

    /// The value when it is a whole number that fits in an Int64, else nil.
    var integer: Int64? {
        guard !significantDigits.isEmpty else { return 0 }
        guard decimalPoint >= significantDigits.count, decimalPoint <= 18 else { return nil }
        var value: Int64 = 0
        for index in 0..<decimalPoint {
            value = value * 10 + Int64(index < significantDigits.count ? significantDigits[index] : 0)
        }
        return isNegative ? -value : value
    }
}
