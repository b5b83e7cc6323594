/// A host name in the one spelling the gateway compares: ssh and DNS ignore letter case and read
/// `db-1.prod.internal.` (the absolute form) as `db-1.prod.internal`, so a policy that compared
/// spellings could be walked around by writing `Db-1.prod.internal`. Every host is reduced to
/// lower case without its trailing dot before a rule, a digest or an audit row sees it.
///
/// RFC 1123 names: labels of 1 to 63 letters, digits and inner hyphens, 253 characters in all.
/// A name whose last label is all digits can only be an IPv4 address written as four decimal
/// octets without leading zeros: `127.1`, `2130706433` and `010.0.0.1` all reach 127.0.0.1 or
/// another address through inet_aton's shorthand and octal, so they are refused rather than
/// compared as text. IPv6 literals are refused (no colon in a host).
public enum HostName {
    public static let maximumLength = 253
    public static let maximumLabelLength = 63

    /// The canonical spelling of `raw`, or a `DomainError` naming what is wrong with it.
    public static func canonical(_ raw: String) throws(DomainError) -> String {
        guard !raw.isEmpty, raw.utf8.count <= maximumLength + 1 else {
            throw DomainError(.invalidField, "host must be 1 to \(maximumLength) characters")
        }
        // ASCII only before folding: `String.lowercased` would turn the Kelvin sign into `k`.
        guard raw.utf8.allSatisfy({ $0 < 0x80 }) else {
            throw DomainError(.invalidField, "host must be letters, digits, '.' or '-'")
        }
        var name = String(decoding: raw.utf8.map(lowercased), as: UTF8.self)
        if name.hasSuffix(".") { name.removeLast() }
        guard !name.isEmpty, name.utf8.count <= maximumLength else {
            throw DomainError(.invalidField, "host must be 1 to \(maximumLength) characters")
        }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            try checkLabel(label)
        }
        if let last = labels.last, last.utf8.allSatisfy(isDigit) {
            try checkIPv4(labels)
        }
        return name
    }

    /// The characters a canonical host may contain: what a host pattern's literals must come from.
    public static func isCanonicalByte(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }

    private static func checkLabel(_ label: Substring) throws(DomainError) {
        let bytes = Array(label.utf8)
        guard !bytes.isEmpty else {
            throw DomainError(.invalidField, "host must not have an empty label ('..', or a leading dot)")
        }
        guard bytes.count <= maximumLabelLength else {
            throw DomainError(.invalidField, "host label '\(label.prefix(20))…' is longer than \(maximumLabelLength) characters")
        }
        guard bytes.allSatisfy({ isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }) else {
            throw DomainError(.invalidField, "host must be letters, digits, '.' or '-'")
        }
        guard bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else {
            throw DomainError(.invalidField, "host labels must not start or end with '-'")
        }
    }

    private static func checkIPv4(_ labels: [Substring]) throws(DomainError) {
        let octets = labels.map { label in
            label.utf8.allSatisfy(isDigit) && label.utf8.count <= 3 && (label == "0" || !label.hasPrefix("0")) ? Int(label) : nil
        }
        guard octets.count == 4, octets.allSatisfy({ $0.map { (0...255).contains($0) } ?? false }) else {
            throw DomainError(.invalidField, "a numeric host must be an IPv4 address of four decimal octets without leading zeros")
        }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || isDigit(byte)
    }
}
