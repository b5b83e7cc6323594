/// Why an upload does not extend a recording, or a start opens no session. `code` is stable (the recorder and the HTTP layer
/// compare it); `message` is for people and never holds the upload token.
public struct RecordingRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The chunk skips ahead: `expectedSequence` is the one to send.
        case outOfOrder = "chunk_out_of_order"
        /// Other bytes than those stored under this sequence number.
        case conflict = "chunk_conflict"
        /// The final chunk was stored; nothing follows it.
        case closed = "recording_closed"
        /// Not asciicast lines the recording can take (no header first, a second header, time
        /// going back).
        case invalid = "chunk_invalid"
        /// The recording's bound on bytes or chunks is reached.
        case full = "recording_full"
        /// A start call that opens no session: none named, or under a later session's recording.
        case sessionInvalid = "recording_session_invalid"
        /// The certificate has opened as many sessions as one certificate may.
        case sessionsExhausted = "recording_sessions_exhausted"
    }

    public let code: Code
    public let message: String
    /// For `outOfOrder`: where the recording stands.
    public let expectedSequence: Int?

    public init(_ code: Code, _ message: String, expectedSequence: Int? = nil) {
        self.code = code
        self.message = message
        self.expectedSequence = expectedSequence
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
