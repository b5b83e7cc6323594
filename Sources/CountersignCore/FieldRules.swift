/// Shapes of the free-standing fields of a request. Each bound exists so that nothing from outside
/// can grow a row, an audit event or a terminal line without limit.
enum FieldRules {
    static let maximumReasonLength = 1000
    static let maximumTicketLength = 64

    /// Names of services and environments: what deploy tooling and policy globs talk about.
    static func checkName(_ value: String, field: String) throws(DomainError) {
        try check(value, field: field, maximumLength: 64, allowed: isNameByte, shape: "a-z, 0-9, '.', '_' or '-'")
    }

    /// Host names as ssh would resolve them (RFC 1123 characters; no user@ or port).
    static func checkHost(_ value: String) throws(DomainError) {
        try check(value, field: "host", maximumLength: 253, allowed: isHostByte, shape: "letters, digits, '.' or '-'")
        if value.hasPrefix("-") || value.hasPrefix(".") {
            throw DomainError(.invalidField, "host must not start with '-' or '.'")
        }
    }

    /// Unix login names (POSIX portable set), as the certificate principal will carry them.
    static func checkLogin(_ value: String) throws(DomainError) {
        try check(value, field: "login", maximumLength: 32, allowed: isLoginByte, shape: "a-z, 0-9, '_' or '-'")
        if value.hasPrefix("-") {
            throw DomainError(.invalidField, "login must not start with '-'")
        }
    }

    static func checkReason(_ value: String) throws(DomainError) {
        if value.allSatisfy(\.isWhitespace) {
            throw DomainError(.invalidField, "reason must not be empty")
        }
        try checkText(value, field: "reason", maximumLength: maximumReasonLength)
    }

    static func checkTicket(_ value: String) throws(DomainError) {
        try checkText(value, field: "ticket", maximumLength: maximumTicketLength)
        if value.contains(where: \.isWhitespace) {
            throw DomainError(.invalidField, "ticket must not contain spaces")
        }
    }

    /// Free text may be any Unicode but no control characters: they would let a requester forge
    /// lines in a reviewer's terminal or in exported logs.
    static func checkText(_ value: String, field: String, maximumLength: Int) throws(DomainError) {
        if value.count > maximumLength || value.utf8.count > maximumLength * 4 {
            throw DomainError(.invalidField, "\(field) must be at most \(maximumLength) characters")
        }
        if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw DomainError(.invalidField, "\(field) must not contain control characters")
        }
    }

    private static func check(
        _ value: String, field: String, maximumLength: Int, allowed: (UInt8) -> Bool, shape: String
    ) throws(DomainError) {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumLength, bytes.allSatisfy(allowed) else {
            throw DomainError(.invalidField, "\(field) must be 1 to \(maximumLength) characters of \(shape)")
        }
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    private static func isHostByte(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
    }

    private static func isLoginByte(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
