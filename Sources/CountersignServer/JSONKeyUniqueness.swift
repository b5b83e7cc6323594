/// Refuses a JSON body in which one object names a key twice. JSON (RFC 8259 §4) leaves such a
/// body's meaning to each parser: Foundation keeps the first value, many proxies and loggers the
/// last, so `{"environment":"staging","environment":"production"}` would be filed as one thing
/// and read by the next tool as another. Keys are compared after their escapes are decoded
/// (`"environm\u0065nt"` is `environment`), the way the decoder compares them.
///
/// The scan also refuses what is not JSON at all and nesting deeper than `maximumDepth`, so that
/// whatever it passes, the decoder reads the same way.
enum JSONKeyUniqueness {
    static let maximumDepth = 32

    enum Failure: Error, Equatable {
        case repeatedKey(String)
        case malformed
        case tooDeep
    }

    static func check(_ bytes: [UInt8]) throws(Failure) {
        var scanner = Scanner(bytes: bytes)
        scanner.skipWhitespace()
        try scanner.value(depth: 0)
        scanner.skipWhitespace()
        guard scanner.isAtEnd else { throw .malformed }
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        var isAtEnd: Bool { index >= bytes.count }

        mutating func value(depth: Int) throws(Failure) {
            guard depth < JSONKeyUniqueness.maximumDepth else { throw .tooDeep }
            guard let byte = peek() else { throw .malformed }
            switch byte {
            case UInt8(ascii: "{"): try object(depth: depth + 1)
            case UInt8(ascii: "["): try array(depth: depth + 1)
            case UInt8(ascii: "\""): _ = try string()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: try number()
            }
        }

        private mutating func object(depth: Int) throws(Failure) {
            index += 1
            var keys = Set<String>()
            skipWhitespace()
            if peek() == UInt8(ascii: "}") {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw .malformed }
                let key = try string()
                guard keys.insert(key).inserted else { throw .repeatedKey(key) }
                skipWhitespace()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
                try value(depth: depth)
                skipWhitespace()
                guard let next = take() else { throw .malformed }
                if next == UInt8(ascii: "}") { return }
                guard next == UInt8(ascii: ",") else { throw .malformed }
            }
        }

        private mutating func array(depth: Int) throws(Failure) {
            index += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "]") {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                try value(depth: depth)
                skipWhitespace()
                guard let next = take() else { throw .malformed }
                if next == UInt8(ascii: "]") { return }
                guard next == UInt8(ascii: ",") else { throw .malformed }
            }
        }

        /// A string's decoded text (RFC 8259 §7): escapes resolved, surrogate pairs joined, raw
        /// control characters and lone surrogates refused.
        private mutating func string() throws(Failure) -> String {
            index += 1
            var scalars = String.UnicodeScalarView()
            var run: [UInt8] = []
            while let byte = take() {
                switch byte {
                case UInt8(ascii: "\""):
                    scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
                    run.removeAll(keepingCapacity: true)
                    scalars.append(try escape())
                case 0..<0x20:
                    throw .malformed
                default:
                    run.append(byte)
                }
            }
            throw .malformed
        }

        private mutating func escape() throws(Failure) -> Unicode.Scalar {
            guard let byte = take() else { throw .malformed }
            switch byte {
            case UInt8(ascii: "\""): return "\""
            case UInt8(ascii: "\\"): return "\\"
            case UInt8(ascii: "/"): return "/"
            case UInt8(ascii: "b"): return "\u{08}"
            case UInt8(ascii: "f"): return "\u{0C}"
            case UInt8(ascii: "n"): return "\n"
            case UInt8(ascii: "r"): return "\r"
            case UInt8(ascii: "t"): return "\t"
            case UInt8(ascii: "u"):
                let unit = try hexUnit()
                if (0xD800...0xDBFF).contains(unit) {
                    guard take() == UInt8(ascii: "\\"), take() == UInt8(ascii: "u") else { throw .malformed }
                    let low = try hexUnit()
                    guard (0xDC00...0xDFFF).contains(low) else { throw .malformed }
                    let value = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                    guard let scalar = Unicode.Scalar(value) else { throw .malformed }
                    return scalar
                }
                guard let scalar = Unicode.Scalar(UInt32(unit)) else { throw .malformed }
                return scalar
            default:
                throw .malformed
            }
        }

        private mutating func hexUnit() throws(Failure) -> UInt16 {
            var unit: UInt16 = 0
            for _ in 0..<4 {
                guard let byte = take() else { throw .malformed }
                let digit: UInt8 = switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
                default: throw .malformed
                }
                unit = unit << 4 | UInt16(digit)
            }
            return unit
        }

        /// RFC 8259 §6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
        private mutating func number() throws(Failure) {
            if peek() == UInt8(ascii: "-") { index += 1 }
            if peek() == UInt8(ascii: "0") {
                index += 1
            } else {
                guard digits() > 0 else { throw .malformed }
            }
            if peek() == UInt8(ascii: ".") {
                index += 1
                guard digits() > 0 else { throw .malformed }
            }
            if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
                index += 1
                if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
                guard digits() > 0 else { throw .malformed }
            }
        }

        private mutating func digits() -> Int {
            let start = index
            while let byte = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { index += 1 }
            return index - start
        }

        private mutating func literal(_ word: String) throws(Failure) {
            for byte in word.utf8 {
                guard take() == byte else { throw .malformed }
            }
        }

        private mutating func expect(_ byte: UInt8) throws(Failure) {
            guard take() == byte else { throw .malformed }
        }

        mutating func skipWhitespace() {
            while let byte = peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
        }

        private func peek() -> UInt8? {
            index < bytes.count ? bytes[index] : nil
        }

        private mutating func take() -> UInt8? {
            guard index < bytes.count else { return nil }
            defer { index += 1 }
            return bytes[index]
        }
    }
}
