/// Why SSH data (a public key from a client, a certificate's fields) was refused. `code` is
/// stable; `message` is for people and never holds key material.
public struct SSHFormatError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// Not of the documented shape: a wrong key type, bad base64, bytes left over.
        case malformed
        /// The data ends before a field it announces.
        case truncated
        /// Longer than the bound for that field.
        case tooLong
        /// A certificate field outside what the spec or a safe certificate allows.
        case invalidField = "invalid_field"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
