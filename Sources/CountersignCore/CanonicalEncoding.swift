import Crypto
import Foundation

/// The byte encoding behind every digest the gateway signs or chains (request content, audit
/// events, checkpoints). Each item is a 4-byte big-endian length followed by that many bytes,
/// so no choice of field values can make two different sequences encode to the same bytes.
/// Integers are written as their shortest decimal text; times as milliseconds since the epoch.
public struct CanonicalEncoding: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(tag: String) {
        append(tag)
    }

    public mutating func append(_ text: String) {
        append(bytes: Array(text.utf8))
    }

    public mutating func append(_ number: Int64) {
        append(String(number))
    }

    public mutating func append(_ date: Date) {
        append(date.millisecondsSinceEpoch)
    }

    public mutating func append(bytes item: [UInt8]) {
        let length = UInt32(item.count)
        bytes += [UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]
        bytes += item
    }

    /// A named field: the name and the value, each as an item.
    public mutating func append(field name: String, _ value: String) {
        append(name)
        append(value)
    }

    public var sha256: [UInt8] { Array(SHA256.hash(data: bytes)) }
}

extension Sequence where Element == UInt8 {
    /// Lowercase hex, two digits a byte. Written byte by byte: a digest's hex is made on every
    /// issue and every request view, and a string per byte joined cost more than the hashing.
    public var hexString: String {
        let digits: StaticString = "0123456789abcdef"
        var hex: [UInt8] = []
        hex.reserveCapacity(underestimatedCount * 2)
        digits.withUTF8Buffer { digits in
            for byte in self {
                hex.append(digits[Int(byte >> 4)])
                hex.append(digits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: hex, as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    /// Decodes lowercase or uppercase hex; nil for odd lengths or other characters.
    public init?(hexString: String) {
        let digits = Array(hexString.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self = bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
