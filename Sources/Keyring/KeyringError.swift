/// The one error type of the keyring. `code` is stable; `message` names the key and its file,
/// never key material.
public struct KeyringError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// No such key (a public key file that is not there).
        case notFound = "not_found"
        /// A key file readable by group or others, or not a regular file: it may already be known
        /// to others, so signing with it would prove nothing.
        case insecureKeyFile = "insecure_key_file"
        /// A key file that does not hold a key of the expected shape, or a public key file that
        /// belongs to another key.
        case invalidKeyFile = "invalid_key_file"
        /// The keyring's storage refused (permissions, disk, I/O).
        case unavailable = "keyring_unavailable"
        /// The signing operation itself failed.
        case signingFailed = "signing_failed"
        /// A rotation asked for while another has yet to switch.
        case rotationPending = "rotation_pending"
        /// A key schedule that is not one (a damaged file, a switch in the past).
        case invalidSchedule = "invalid_schedule"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
