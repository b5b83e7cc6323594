/// Shapes of the free-standing fields of a request. Each bound exists so that nothing from outside
/// can grow a row, an audit event or a terminal line without limit.
enum FieldRules {
    static let maximumReasonLength = 1000
    static let maximumTicketLength = 64

    /// Names of services and environments: what deploy tooling and policy globs talk about.
    static func checkName(_ value: String, field: String) throws(DomainError) {
        try check(value, field: field, maximumLength: 64, allowed: isNameByte, shape: "a-z, 0-9, '.', '_' or '-'")
    }

    /// Unix login names (POSIX portable set), as the certificate principal will carry them.
    static func checkLogin(_ value: String) throws(DomainError) {
        try check(value, field: "login", maximumLength: 32, allowed: isLoginByte, shape: "a-z, 0-9, '_' or '-'")
        if value.hasPrefix("-") {
            throw DomainError(.invalidField, "login must not start with '-'")
        }
    }

    static func checkReason(_ value: String) throws(DomainError) {
        try checkText(value, field: "reason", maximumLength: maximumReasonLength)
        if readableLength(value) == 0 {
            throw DomainError(.invalidField, "reason must not be empty")
        }
    }

    static func checkTicket(_ value: String) throws(DomainError) {
        try checkText(value, field: "ticket", maximumLength: maximumTicketLength)
        if value.contains(where: \.isWhitespace) {
            throw DomainError(.invalidField, "ticket must not contain spaces")
        }
    }

    /// Free text may be any Unicode a reviewer sees as it is: no control characters (they would
    /// forge lines in a terminal or an exported log), no format characters (bidirectional
    /// overrides reorder what is shown, zero-width ones hide or split words), and no line or
    /// paragraph separators (a second line where one is expected).
    static func checkText(_ value: String, field: String, maximumLength: Int) throws(DomainError) {
        if value.count > maximumLength || value.utf8.count > maximumLength * 4 {
            throw DomainError(.invalidField, "\(field) must be at most \(maximumLength) characters")
        }
        if let hidden = value.unicodeScalars.first(where: isHidden) {
            let code = "U+" + String(hidden.value, radix: 16, uppercase: true)
            throw DomainError(.invalidField, "\(field) must not contain control, format or separator characters (found \(code))")
        }
    }

    static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator: true
        default: false
        }
    }

    /// How many characters of `text` a reviewer can read: runs of white space count as one
    /// space, white space at either end and characters that render as nothing (default-ignorable
    /// code points such as U+3164) count for nothing. `min_length` is held against this, so
    /// padding cannot stand in for a reason.
    public static func readableLength(_ text: String) -> Int {
        let words = text.split(whereSeparator: \.isWhitespace).map { word in
            word.filter { !$0.unicodeScalars.allSatisfy(\.properties.isDefaultIgnorableCodePoint) }.count
        }.filter { $0 > 0 }
        return words.isEmpty ? 0 : words.reduce(words.count - 1, +)
    }

    private static func check(
        _ value: String, field: String, maximumLength: Int, allowed: (UInt8) -> Bool, shape: String
    ) throws(DomainError) {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumLength, bytes.allSatisfy(allowed) else {
            throw DomainError(.invalidField, "\(field) must be 1 to \(maximumLength) characters of \(shape)")
        }
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    static func isLoginByte(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
