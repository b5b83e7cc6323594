/// The JSON of one asciicast line, read strictly (RFC 8259): what Python's `json.loads` takes
/// from asciinema, nothing more. No NaN or Infinity, no raw control characters or invalid UTF-8
/// in strings, no lone surrogates, no duplicate keys, nothing after the value. Nesting is
/// bounded; every other size is bounded by the line, which the reader bounds.
enum JSONValue: Equatable {
    case null
    case bool(Bool)
    /// The number's text, read by whoever knows what it should be (a time, a size).
    case number([UInt8])
    case string(String)
    case array([JSONValue])
    /// Members in the order written; each key once.
    case object([(key: String, value: JSONValue)])

    static let maximumDepth = 8

    static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case let (.bool(a), .bool(b)): a == b
        case let (.number(a), .number(b)): a == b
        case let (.string(a), .string(b)): a == b
        case let (.array(a), .array(b)): a == b
        case let (.object(a), .object(b)): a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    /// Parses exactly one JSON value filling `bytes` (whitespace around it allowed).
    static func parse(_ bytes: some Collection<UInt8>) throws(AsciicastFormatError) -> JSONValue {
        let array = Array(bytes)
        var parser = JSONParser(bytes: array)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.index == array.count else { throw AsciicastFormatError(.malformed, "text after the JSON value") }
        return value
    }
}

struct JSONParser {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    func fail(_ message: String) -> AsciicastFormatError {
        AsciicastFormatError(.malformed, "not JSON: \(message) at byte \(index + 1)")
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func expect(_ literal: String) throws(AsciicastFormatError) {
        for byte in literal.utf8 {
            guard index < bytes.count, bytes[index] == byte else { throw fail("expected \(literal)") }
            index += 1
        }
    }

    mutating func value(depth: Int) throws(AsciicastFormatError) -> JSONValue {
        guard depth < JSONValue.maximumDepth else { throw fail("nested deeper than \(JSONValue.maximumDepth)") }
        guard index < bytes.count else { throw fail("a value is missing") }
        switch bytes[index] {
        case UInt8(ascii: "n"):
            try expect("null")
            return .null
        case UInt8(ascii: "t"):
            try expect("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false")
            return .bool(false)
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "["):
            index += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                elements.append(try value(depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw fail("an array is not closed") }
                let separator = bytes[index]
                index += 1
                if separator == UInt8(ascii: "]") { return .array(elements) }
                guard separator == UInt8(ascii: ",") else { throw fail("expected , or ]") }
            }
        case UInt8(ascii: "{"):
            index += 1
            var members: [(key: String, value: JSONValue)] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                let key = try string()
                guard !members.contains(where: { $0.key == key }) else { throw fail("the key \"\(key)\" is given twice") }
                skipWhitespace()
                try expect(":")
                skipWhitespace()
                members.append((key, try value(depth: depth + 1)))
                skipWhitespace()
                guard index < bytes.count else { throw fail("an object is not closed") }
                let separator = bytes[index]
                index += 1
                if separator == UInt8(ascii: "}") { return .object(members) }
                guard separator == UInt8(ascii: ",") else { throw fail("expected , or }") }
            }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = index
            while index < bytes.count, Self.isNumberByte(bytes[index]) { index += 1 }
            let text = Array(bytes[start..<index])
            // The grammar is checked here, so that a number is refused where it stands.
            guard JSONNumberText(text) != nil else { throw fail("a malformed number") }
            return .number(text)
        default:
            throw fail("unexpected character")
        }
    }

    static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): true
        default: false
        }
    }

    /// A string from its opening quote: escapes applied, the raw bytes required to be UTF-8.
    mutating func string() throws(AsciicastFormatError) -> String {
        index += 1
        var decoded: [UInt8] = []
        var runStart = index
        while true {
            guard index < bytes.count else { throw fail("a string is not closed") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                decoded.append(contentsOf: bytes[runStart..<index])
                index += 1
                break
            }
            if byte < 0x20 { throw fail("a raw control character in a string") }
            if byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            decoded.append(contentsOf: bytes[runStart..<index])
            index += 1
            guard index < bytes.count else { throw fail("a string is not closed") }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800...0xDBFF).contains(code) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw fail("a lone surrogate")
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw fail("a lone surrogate") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(code) {
                    throw fail("a lone surrogate")
                }
                guard let scalar = Unicode.Scalar(code) else { throw fail("an invalid code point") }
                UTF8.encode(scalar) { decoded.append($0) }
            default:
                throw fail("an unknown escape")
            }
            runStart = index
        }
        guard let text = String(validating: decoded, as: UTF8.self) else { throw fail("a string that is not UTF-8") }
        return text
    }

    /// Passes over a string from its opening quote, checking it as `string()` does (valid
    /// escapes, no lone surrogate, no raw control character, the raw bytes UTF-8) without
    /// decoding it: what the gateway needs of an event's data. Raw runs are checked one by one: an
    /// escape starts with an ASCII byte, so a UTF-8 sequence never spans one.
    mutating func skipString() throws(AsciicastFormatError) {
        index += 1
        var runStart = index
        while true {
            guard index < bytes.count else { throw fail("a string is not closed") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                try checkUTF8(runStart..<index)
                index += 1
                return
            }
            if byte < 0x20 { throw fail("a raw control character in a string") }
            if byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            try checkUTF8(runStart..<index)
            index += 1
            guard index < bytes.count else { throw fail("a string is not closed") }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"),
                 UInt8(ascii: "r"), UInt8(ascii: "t"):
                break
            case UInt8(ascii: "u"):
                let code = try hex4()
                if (0xD800...0xDBFF).contains(code) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw fail("a lone surrogate")
                    }
                    index += 2
                    guard (0xDC00...0xDFFF).contains(try hex4()) else { throw fail("a lone surrogate") }
                } else if (0xDC00...0xDFFF).contains(code) {
                    throw fail("a lone surrogate")
                }
            default:
                throw fail("an unknown escape")
            }
            runStart = index
        }
    }

    private func checkUTF8(_ run: Range<Int>) throws(AsciicastFormatError) {
        // ASCII, by far the most of a terminal's output, needs no decoding.
        guard bytes[run].contains(where: { $0 >= 0x80 }) else { return }
        guard String(validating: bytes[run], as: UTF8.self) != nil else { throw fail("a string that is not UTF-8") }
    }

    mutating func hex4() throws(AsciicastFormatError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("a short \\u escape") }
        var code: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - 0x30)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - 0x61 + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - 0x41 + 10)
            default: throw fail("a \\u escape that is not hex")
            }
            code = code << 4 | digit
            index += 1
        }
        return code
    }
}
