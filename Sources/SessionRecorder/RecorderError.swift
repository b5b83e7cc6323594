/// Why the recorder refused to start a session or lost track of it. `code` is stable (tests
/// compare it); `message` is for the person at the terminal and never holds the upload token.
public struct RecorderError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// No certificate to record under: no `SSH_USER_AUTH`, or no recording extension in it.
        case noRecording = "no_recording"
        /// The certificate or sshd's file about it is not what sshd writes.
        case badCertificate = "bad_certificate"
        /// The spool file cannot be made or written: nothing could be recorded.
        case spoolUnavailable = "spool_unavailable"
        /// The session's program could not be started, or a pipe or terminal for it made.
        case sessionFailed = "session_failed"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
