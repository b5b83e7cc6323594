import Foundation

/// `POST /v1/recordings/{id}/start`, sent by the recorder as its session begins.
public struct RecordingStartBody: Codable, Sendable {
    /// The recorder run's `RecordingSessionID`, the same on every retry: a start under another
    /// session id than the first one's is another session under the certificate, recorded apart.
    public let session: String
    /// The host's own name for itself.
    public let host: String
    /// What the user asked to run (`SSH_ORIGINAL_COMMAND`); absent for a login shell.
    public let command: String?
    /// Whether the session has a terminal.
    public let pty: Bool
    public let width: Int?
    public let height: Int?
    /// The recorder's clock at the start; the gateway keeps its own time of receipt.
    public let startedAt: Date?

    public init(session: String, host: String, command: String?, pty: Bool, width: Int? = nil, height: Int? = nil, startedAt: Date? = nil) {
        self.session = session
        self.host = host
        self.command = command
        self.pty = pty
        self.width = width
        self.height = height
        self.startedAt = startedAt
    }
}

/// The answer to a recorder: where its recording stands.
public struct RecordingProgressView: Codable, Sendable, Equatable {
    /// The recording this session uploads to: the certificate's own for its first session; for a
    /// later one, a recording of its own, uploaded to with the token derived for the session
    /// (`RecordingUploadToken.derived(for:)`).
    public let recordingId: String
    /// The sequence number the recording expects next.
    public let nextSeq: Int
    public let state: String

    public init(recordingId: String, nextSeq: Int, state: String) {
        self.recordingId = recordingId
        self.nextSeq = nextSeq
        self.state = state
    }
}


/// One recording, as auditors and the session's user see it.
public struct RecordingView: Codable, Sendable, Equatable {
    public let id: String
    public let requestId: String
    public let serial: UInt64
    public let user: String
    public let host: String
    public let login: String
    public let recordsInput: Bool
    /// `awaiting`, `unused`, `streaming`, `complete`, `incomplete` or `missing`.
    public let state: String
    /// True for `incomplete` and `missing`: a session ran and its record is not whole.
    public let alarm: Bool
    public let createdAt: Date
    public let certificateExpiresAt: Date
    public let startedAt: Date?
    public let reportedHost: String?
    public let command: String?
    public let pty: Bool?
    public let chunks: Int
    public let bytes: Int
    public let lostBytes: Int
    public let gaps: Int
    public let lastChunkAt: Date?
    public let exitStatus: Int?
    public let completedAt: Date?

    public init(
        id: String, requestId: String, serial: UInt64, user: String, host: String, login: String, recordsInput: Bool, state: String, alarm: Bool,
        createdAt: Date, certificateExpiresAt: Date, startedAt: Date?, reportedHost: String?, command: String?, pty: Bool?, chunks: Int,
        bytes: Int, lostBytes: Int, gaps: Int, lastChunkAt: Date?, exitStatus: Int?, completedAt: Date?
    ) {
        self.id = id
        self.requestId = requestId
        self.serial = serial
        self.user = user
        self.host = host
        self.login = login
        self.recordsInput = recordsInput
        self.state = state
        self.alarm = alarm
        self.createdAt = createdAt
        self.certificateExpiresAt = certificateExpiresAt
        self.startedAt = startedAt
        self.reportedHost = reportedHost
        self.command = command
        self.pty = pty
        self.chunks = chunks
        self.bytes = bytes
        self.lostBytes = lostBytes
        self.gaps = gaps
        self.lastChunkAt = lastChunkAt
        self.exitStatus = exitStatus
        self.completedAt = completedAt
    }
}

public struct RecordingListView: Codable, Sendable, Equatable {
    public let recordings: [RecordingView]

    public init(recordings: [RecordingView]) {
        self.recordings = recordings
    }
}

/// `GET /v1/recordings/search?q=…`: where in which sessions the text was typed or seen.
public struct RecordingSearchView: Codable, Sendable, Equatable {
    public let matches: [RecordingMatchView]
    /// Recordings the search did not read through: over the bytes one search reads, or unreadable
    /// (a chunk changed on disk: the recording's own page says so).
    public let skipped: [String]

    public init(matches: [RecordingMatchView], skipped: [String]) {
        self.matches = matches
        self.skipped = skipped
    }
}

public struct RecordingMatchView: Codable, Sendable, Equatable {
    public let recordingId: String
    public let requestId: String
    public let user: String
    public let host: String
    public let startedAt: Date?
    /// `typed` (a line the user entered) or `output` (a line the terminal showed).
    public let kind: String
    /// Seconds from the start of the session.
    public let offsetSeconds: Double
    public let text: String

    public init(recordingId: String, requestId: String, user: String, host: String, startedAt: Date?, kind: String, offsetSeconds: Double, text: String) {
        self.recordingId = recordingId
        self.requestId = requestId
        self.user = user
        self.host = host
        self.startedAt = startedAt
        self.kind = kind
        self.offsetSeconds = offsetSeconds
        self.text = text
    }
}
