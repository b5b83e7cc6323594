import Foundation
import X509

/// The certificates of a PEM file (RFC 7468): every `CERTIFICATE` block, base64-decoded, each
/// parsed as an X.509 certificate, so a root that would be unusable at enrolment stops the
/// policy from loading instead. Any other block is refused, a private
/// key above all (it has no business in a policy directory that every reviewer reads). Text
/// outside the blocks is allowed, as RFC 7468 §2 allows it (`openssl x509 -text` writes some).
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
                guard (try? Certificate(derEncoded: Array(der))) != nil else {
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
