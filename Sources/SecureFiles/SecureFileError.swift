/// Why a secure file operation failed. `code` is stable; `message` names the path, never a
/// file's contents.
public struct SecureFileError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        case alreadyExists = "already_exists"
        case notFound = "not_found"
        /// A secret that is a link, a directory or a device rather than a regular file.
        case notRegular = "not_regular"
        /// A secret readable or writable by group or others.
        case insecureMode = "insecure_mode"
        case tooLarge = "too_large"
        /// The system refused (permissions, disk full, I/O).
        case failure = "failure"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
