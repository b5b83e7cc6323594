import Foundation

/// The recording of one session under a certificate whose terms say `record`: the certificate's
/// own, made when it is issued and taken by its first session, or one a later session under the
/// same certificate opened (`certificateRecording` names the certificate's own then). Extended by
/// its recorder's uploads. Only the facts are kept; its
/// state (streaming, complete, incomplete, missing) is derived from them and the time
/// (`RecordingRules.state`), so that a recording nobody touches still turns incomplete or missing.
public struct Recording: Hashable, Sendable {
    /// Bounds on one recording: a day of a busy terminal fits many times over; a runaway or
    /// hostile recorder cannot fill the gateway's disk.
    public static let maximumByteCount = 4 << 30
    public static let maximumChunkCount = 1_000_000

    public let id: RecordingID
    public let requestID: RequestID
    public let serial: CredentialSerial
    /// The certificate's holder and what it lets them into.
    public let user: Username
    public let host: String
    public let login: String
    public let recordsInput: Bool
    public let createdAt: Date
    /// When the certificate stops opening sessions; one opened before may go on after it.
    public let certificateExpiresAt: Date
    /// For a later session under the certificate: the certificate's own recording. Nil for that one.
    public let certificateRecording: RecordingID?

    public internal(set) var start: RecordingStart?
    public internal(set) var progress: RecordingProgress
    public internal(set) var completion: RecordingCompletion?

    public init(
        id: RecordingID, requestID: RequestID, serial: CredentialSerial, user: Username, host: String, login: String,
        recordsInput: Bool, createdAt: Date, certificateExpiresAt: Date, certificateRecording: RecordingID? = nil,
        start: RecordingStart? = nil, progress: RecordingProgress = .empty, completion: RecordingCompletion? = nil
    ) {
        self.id = id
        self.requestID = requestID
        self.serial = serial
        self.user = user
        self.host = host
        self.login = login
        self.recordsInput = recordsInput
        self.createdAt = createdAt
        self.certificateExpiresAt = certificateExpiresAt
        self.certificateRecording = certificateRecording
        self.start = start
        self.progress = progress
        self.completion = completion
    }
}

/// What the recorder said when its session began.
public struct RecordingStart: Hashable, Sendable {
    public static let maximumHostLength = 255
    public static let maximumCommandLength = 4096

    /// The host's own name for itself, as the recorder found it.
    public let reportedHost: String
    /// The command the user asked for (`SSH_ORIGINAL_COMMAND`); nil for a login shell.
    public let command: String?
    public let hasTerminal: Bool
    public let receivedAt: Date
    /// The recorder run that made the start call; nil for one stored before runs were told apart.
    public let session: RecordingSessionID?

    public init(reportedHost: String, command: String?, hasTerminal: Bool, receivedAt: Date, session: RecordingSessionID?) throws(DomainError) {
        try FieldRules.checkText(reportedHost, field: "host", maximumLength: Self.maximumHostLength)
        guard !reportedHost.isEmpty else { throw DomainError(.invalidField, "host is required") }
        if let command {
            // What the user typed is evidence, shown to auditors as it was; only its size is bounded.
            guard command.utf8.count <= Self.maximumCommandLength else {
                throw DomainError(.invalidField, "command is at most \(Self.maximumCommandLength) bytes")
            }
        }
        self.reportedHost = reportedHost
        self.command = command
        self.hasTerminal = hasTerminal
        self.receivedAt = receivedAt
        self.session = session
    }
}

/// How far the uploads have come.
public struct RecordingProgress: Hashable, Sendable {
    public static let empty = RecordingProgress(nextSequence: 0, byteCount: 0, lastEventTime: 0, lastChunkAt: nil, lostBytes: 0, gaps: 0)

    public let nextSequence: Int
    public let byteCount: Int
    /// Microseconds since the session began of the last event stored: a later chunk may not go back.
    public let lastEventTime: Int64
    public let lastChunkAt: Date?
    /// Bytes the recorder reported it could not deliver, and in how many places.
    public let lostBytes: Int
    public let gaps: Int

    public init(nextSequence: Int, byteCount: Int, lastEventTime: Int64, lastChunkAt: Date?, lostBytes: Int, gaps: Int) {
        self.nextSequence = nextSequence
        self.byteCount = byteCount
        self.lastEventTime = lastEventTime
        self.lastChunkAt = lastChunkAt
        self.lostBytes = lostBytes
        self.gaps = gaps
    }
}

/// The final chunk's news: the session ended, with this status.
public struct RecordingCompletion: Hashable, Sendable {
    public let exitStatus: Int
    public let completedAt: Date

    public init(exitStatus: Int, completedAt: Date) {
        self.exitStatus = exitStatus
        self.completedAt = completedAt
    }
}
