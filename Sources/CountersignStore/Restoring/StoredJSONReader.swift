/// Reads the few JSON shapes rows hold (a request's target, an approver's groups, a requirement)
/// without Foundation's decoder, which cost half of restoring a request on every read (`make
/// bench`). It reads RFC 8259 as written by `StoredJSON`, SQLite's `json_object` and PostgreSQL
/// alike (whitespace and every escape), and refuses anything else: a duplicate key, an unknown
/// key, a value of another type, a column past `maximumBytes`, trailing text.
struct StoredJSONReader: ~Copyable {
    enum Failure: Error, Equatable {
        case tooLarge
        case malformed(String)

        static let duplicateKey = Failure.malformed("a key twice")
    }

    /// Far above any target, group list or requirement the gateway writes; a bound so a damaged
    /// row cannot make a read walk megabytes.
    static let maximumBytes = 64 * 1024

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Runs `read` over the UTF-8 of `text`, then checks that nothing but whitespace follows.
    static func read<Value>(_ text: String, _ read: (inout StoredJSONReader) throws(Failure) -> Value) throws(Failure) -> Value {
        guard text.utf8.count <= maximumBytes else { throw .tooLarge }
        var text = text
        let result: Result<Value, Failure> = text.withUTF8 { buffer in
            var reader = StoredJSONReader(buffer)
            do throws(Failure) {
                let value = try read(&reader)
                reader.skipWhitespace()
                guard reader.index == buffer.count else { throw Failure.malformed("text after the value") }
                return .success(value)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    // MARK: Values

    mutating func readString() throws(Failure) -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        // Most stored text has no escape: it is copied in one go.
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") {
            guard bytes[index] >= 0x20 else { throw .malformed("a control character in a string") }
            index += 1
        }
        guard index < bytes.count else { throw .malformed("an unterminated string") }
        if bytes[index] == UInt8(ascii: "\"") {
            index += 1
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index - 1]), as: UTF8.self)
        }
        var decoded = Array(bytes[start..<index])
        while true {
            guard index < bytes.count else { throw .malformed("an unterminated string") }
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: decoded, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try readEscape(into: &decoded)
            case 0..<0x20:
                throw .malformed("a control character in a string")
            default:
                decoded.append(byte)
            }
        }
    }

    /// A non-negative integer without fraction or exponent: the only numbers rows hold.
    mutating func readCount() throws(Failure) -> Int {
        skipWhitespace()
        let start = index
        var value = 0
        while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
            let (times10, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = times10.addingReportingOverflow(Int(bytes[index] - UInt8(ascii: "0")))
            guard !overflowTimes, !overflowSum else { throw .malformed("a number out of range") }
            value = sum
            index += 1
        }
        guard index > start else { throw .malformed("not a whole number") }
        guard index - start == 1 || bytes[start] != UInt8(ascii: "0") else { throw .malformed("a number with a leading zero") }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] | 0x20 == UInt8(ascii: "e") {
            throw .malformed("not a whole number")
        }
        return value
    }

    mutating func readBool() throws(Failure) -> Bool {
        skipWhitespace()
        if consume("true") { return true }
        if consume("false") { return false }
        throw .malformed("not a boolean")
    }

    /// An object, each member handed to `member` with the reader placed on its value. Each shape
    /// refuses a key seen twice (`duplicateKey`): two readers of the row could otherwise see two
    /// different values.
    mutating func readObject(_ member: (String, inout StoredJSONReader) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "{"))
        if try next(is: UInt8(ascii: "}")) { return }
        repeat {
            let key = try readString()
            try expect(UInt8(ascii: ":"))
            try member(key, &self)
        } while try next(is: UInt8(ascii: ","))
        try expect(UInt8(ascii: "}"))
    }

    mutating func readArray(_ element: (inout StoredJSONReader) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "["))
        if try next(is: UInt8(ascii: "]")) { return }
        repeat {
            try element(&self)
        } while try next(is: UInt8(ascii: ","))
        try expect(UInt8(ascii: "]"))
    }

    // MARK: Tokens

    private mutating func readEscape(into decoded: inout [UInt8]) throws(Failure) {
        guard index < bytes.count else { throw .malformed("an unterminated string") }
        let byte = bytes[index]
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(byte)
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = UInt32(try readHex4())
            if (0xD800..<0xDC00).contains(scalar) {
                // RFC 8259 §7: a character outside the BMP is a surrogate pair of escapes.
                guard consume("\\u") else { throw .malformed("a lone surrogate") }
                let low = UInt32(try readHex4())
                guard (0xDC00..<0xE000).contains(low) else { throw .malformed("a lone surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let character = Unicode.Scalar(scalar) else { throw .malformed("a lone surrogate") }
            decoded.append(contentsOf: String(character).utf8)
        default:
            throw .malformed("an unknown escape")
        }
    }

    private mutating func readHex4() throws(Failure) -> UInt16 {
        guard bytes.count - index >= 4 else { throw .malformed("a short \\u escape") }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8 = switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: throw .malformed("a bad \\u escape")
            }
            value = value << 4 | UInt16(digit)
            index += 1
        }
        return value
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8) throws(Failure) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else {
            throw .malformed("expected \(Character(Unicode.Scalar(byte)))")
        }
        index += 1
    }

    /// Consumes `byte` if it comes next.
    private mutating func next(is byte: UInt8) throws(Failure) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func consume(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        let matches = literal.withUTF8Buffer { expected in
            expected.indices.allSatisfy { bytes[index + $0] == expected[$0] }
        }
        if matches { index += count }
        return matches
    }
}

// MARK: The shapes rows hold

extension StoredJSONReader {
    /// An object of strings: a request's target.
    mutating func readStringMap() throws(Failure) -> [String: String] {
        var map: [String: String] = [:]
        try readObject { key, reader throws(Failure) in
            guard map.updateValue(try reader.readString(), forKey: key) == nil else { throw .duplicateKey }
        }
        return map
    }

    /// A list of strings: an approver's groups.
    mutating func readStringList() throws(Failure) -> [String] {
        var list: [String] = []
        try readArray { reader throws(Failure) in list.append(try reader.readString()) }
        return list
    }
}
