import Foundation

/// The certificates of a PEM file (RFC 7468): every `CERTIFICATE` block, base64-decoded, each
/// checked to have the DER shape of an X.509 certificate. Any other block is refused, a private
/// key above all (it has no business in a policy directory that every reviewer reads). Text
/// outside the blocks is allowed, as RFC 7468 §2 allows it (`openssl x509 -text` writes some).
///
/// The shape check is what this layer can do without an X.509 parser: the WebAuthn layer parses
/// the certificates fully when a registration is checked against them.
enum PEMCertificates {
    static let maximumCertificates = 16

    struct Problem: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    static func decode(_ bytes: [UInt8]) throws(Problem) -> [[UInt8]] {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw Problem("the file is not text: a PEM file is base64 between -----BEGIN CERTIFICATE----- and -----END CERTIFICATE----- lines")
        }
        var certificates: [[UInt8]] = []
        var body: String?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
            let number = index + 1
            if let label = boundary(line, "BEGIN") {
                guard body == nil else { throw Problem("line \(number): a BEGIN line inside a block; the block before it has no END line") }
                guard label == "CERTIFICATE" else {
                    if label.contains("PRIVATE KEY") {
                        throw Problem("line \(number): the file holds a private key; only certificates belong here (and the key belongs nowhere near a policy directory)")
                    }
                    throw Problem("line \(number): a '\(label)' block; only CERTIFICATE blocks are read")
                }
                guard certificates.count < maximumCertificates else {
                    throw Problem("more than \(maximumCertificates) certificates in one file")
                }
                body = ""
            } else if let label = boundary(line, "END") {
                guard let base64 = body, label == "CERTIFICATE" else {
                    throw Problem("line \(number): an END line without its BEGIN CERTIFICATE line")
                }
                guard let der = Data(base64Encoded: base64) else {
                    throw Problem("certificate \(certificates.count + 1) is not valid base64")
                }
                guard DERShape.isCertificate(Array(der)) else {
                    throw Problem("certificate \(certificates.count + 1) is not a DER X.509 certificate")
                }
                certificates.append(Array(der))
                body = nil
            } else if let base64 = body {
                guard line.unicodeScalars.allSatisfy(isBase64) else {
                    throw Problem("line \(number): inside a certificate block, only base64 is allowed (no headers)")
                }
                body = base64 + line
            }
        }
        guard body == nil else { throw Problem("the last certificate block has no END line") }
        guard !certificates.isEmpty else {
            throw Problem("no -----BEGIN CERTIFICATE----- block: is this a PEM file?")
        }
        return certificates
    }

    /// The label of a `-----BEGIN label-----` (or END) line.
    private static func boundary(_ line: String, _ kind: String) -> String? {
        let prefix = "-----\(kind) "
        guard line.hasPrefix(prefix), line.hasSuffix("-----"), line.count >= prefix.count + 5 else { return nil }
        return String(line.dropFirst(prefix.count).dropLast(5))
    }

    private static func isBase64(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "+", "/", "=": true
        default: false
        }
    }
}

/// The outline of a DER certificate (RFC 5280 §4.1), without reading what is inside:
///
/// ```
/// SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, INTEGER serial, SEQUENCE algorithm,
///            SEQUENCE issuer, SEQUENCE validity, SEQUENCE subject, SEQUENCE key, … },
///            SEQUENCE signatureAlgorithm, BIT STRING signature }
/// ```
///
/// Enough to tell a certificate from a key, a request (CSR) or noise; lengths are checked against
/// what is left before anything is read.
enum DERShape {
    static func isCertificate(_ bytes: [UInt8]) -> Bool {
        var top = Reader(bytes[...])
        guard let certificate = top.next(), certificate.tag == 0x30, top.isAtEnd else { return false }
        var parts = Reader(certificate.content)
        guard let tbs = parts.next(), tbs.tag == 0x30, parts.next()?.tag == 0x30, parts.next()?.tag == 0x03, parts.isAtEnd else {
            return false
        }
        var fields = Reader(tbs.content)
        var field = fields.next()
        if field?.tag == 0xA0 { field = fields.next() }
        guard field?.tag == 0x02 else { return false }
        for _ in 0..<5 {
            guard fields.next()?.tag == 0x30 else { return false }
        }
        return true
    }

    /// Reads one tag-length-value after another: single-byte tags, definite lengths in their
    /// shortest form, never past the end.
    struct Reader {
        private var rest: ArraySlice<UInt8>
        private var failed = false

        init(_ bytes: ArraySlice<UInt8>) {
            rest = bytes
        }

        var isAtEnd: Bool { !failed && rest.isEmpty }

        mutating func next() -> (tag: UInt8, content: ArraySlice<UInt8>)? {
            guard !failed, let element = read() else {
                failed = true
                return nil
            }
            return element
        }

        private mutating func read() -> (tag: UInt8, content: ArraySlice<UInt8>)? {
            guard rest.count >= 2 else { return nil }
            let tag = rest[rest.startIndex]
            guard tag & 0x1F != 0x1F else { return nil }
            let first = rest[rest.startIndex + 1]
            var offset = rest.startIndex + 2
            var length: Int
            if first < 0x80 {
                length = Int(first)
            } else {
                let count = Int(first & 0x7F)
                guard (1...4).contains(count), rest.endIndex - offset >= count, rest[offset] != 0 else { return nil }
                length = 0
                for byte in rest[offset..<offset + count] { length = length << 8 | Int(byte) }
                guard length >= 0x80 else { return nil }
                offset += count
            }
            guard rest.endIndex - offset >= length else { return nil }
            let content = rest[offset..<offset + length]
            rest = rest[(offset + length)...]
            return (tag, content)
        }
    }
}
