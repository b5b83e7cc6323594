import CountersignCore

/// A recording as the columns of its row, the same on every backend. The upload token is kept
/// only as its SHA-256, and stays out of every message.
public struct StoredRecording: Sendable {
    public static let columns = """
        id, request_id, serial, holder, host, login, records_input, created_at, certificate_expires_at, upload_token_hash, \
        started_host, started_command, started_pty, started_at, next_sequence, byte_count, last_event_time, last_chunk_at, \
        lost_bytes, gaps, exit_status, completed_at, certificate_recording_id, started_session
        """
    public static let placeholders = Array(repeating: "?", count: 24).joined(separator: ", ")

    public var id: String
    public var requestID: String
    public var serial: Int64
    public var holder: String
    public var host: String
    public var login: String
    public var recordsInput: Bool
    public var createdAt: Int64
    public var certificateExpiresAt: Int64
    public var uploadTokenHash: [UInt8]
    public var startedHost: String?
    public var startedCommand: String?
    public var startedPTY: Bool?
    public var startedAt: Int64?
    public var nextSequence: Int64
    public var byteCount: Int64
    public var lastEventTime: Int64
    public var lastChunkAt: Int64?
    public var lostBytes: Int64
    public var gaps: Int64
    public var exitStatus: Int64?
    public var completedAt: Int64?
    public var certificateRecordingID: String?
    public var startedSession: String?

    public init(_ new: NewRecording) {
        self.init(new.recording, uploadTokenHash: new.uploadTokenHash)
    }

    /// `uploadTokenHash` is never rewritten after the insert; updates leave that column alone.
    public init(_ recording: Recording, uploadTokenHash: [UInt8] = []) {
        id = recording.id.rawValue
        requestID = recording.requestID.rawValue
        serial = recording.serial.stored
        holder = recording.user.rawValue
        host = recording.host
        login = recording.login
        recordsInput = recording.recordsInput
        createdAt = recording.createdAt.millisecondsSinceEpoch
        certificateExpiresAt = recording.certificateExpiresAt.millisecondsSinceEpoch
        self.uploadTokenHash = uploadTokenHash
        startedHost = recording.start?.reportedHost
        startedCommand = recording.start?.command
        startedPTY = recording.start?.hasTerminal
        startedAt = recording.start?.receivedAt.millisecondsSinceEpoch
        let progress = recording.progress
        nextSequence = Int64(progress.nextSequence)
        byteCount = Int64(progress.byteCount)
        lastEventTime = progress.lastEventTime
        lastChunkAt = progress.lastChunkAt?.millisecondsSinceEpoch
        lostBytes = Int64(progress.lostBytes)
        gaps = Int64(progress.gaps)
        exitStatus = recording.completion.map { Int64($0.exitStatus) }
        completedAt = recording.completion?.completedAt.millisecondsSinceEpoch
        certificateRecordingID = recording.certificateRecording?.rawValue
        startedSession = recording.start?.session?.rawValue
    }

    public init(
        id: String, requestID: String, serial: Int64, holder: String, host: String, login: String, recordsInput: Bool, createdAt: Int64,
        certificateExpiresAt: Int64, startedHost: String?, startedCommand: String?, startedPTY: Bool?, startedAt: Int64?,
        nextSequence: Int64, byteCount: Int64, lastEventTime: Int64, lastChunkAt: Int64?, lostBytes: Int64, gaps: Int64,
        exitStatus: Int64?, completedAt: Int64?, certificateRecordingID: String?, startedSession: String?
    ) {
        self.id = id
        self.requestID = requestID
        self.serial = serial
        self.holder = holder
        self.host = host
        self.login = login
        self.recordsInput = recordsInput
        self.createdAt = createdAt
        self.certificateExpiresAt = certificateExpiresAt
        self.uploadTokenHash = []
        self.startedHost = startedHost
        self.startedCommand = startedCommand
        self.startedPTY = startedPTY
        self.startedAt = startedAt
        self.nextSequence = nextSequence
        self.byteCount = byteCount
        self.lastEventTime = lastEventTime
        self.lastChunkAt = lastChunkAt
        self.lostBytes = lostBytes
        self.gaps = gaps
        self.exitStatus = exitStatus
        self.completedAt = completedAt
        self.certificateRecordingID = certificateRecordingID
        self.startedSession = startedSession
    }

    public func restore() throws(StoreError) -> Recording {
        let row = RowRestorer(table: "recordings", key: id)
        let id = try row.domain(id, "id", RecordingID.init)
        let requestID = try row.domain(requestID, "request_id", RequestID.init)
        guard let serial = CredentialSerial(stored: serial) else { throw row.corrupt("serial is not positive") }
        let holder = try row.domain(holder, "holder", Username.init)
        func count(_ value: Int64, _ column: String, upTo limit: Int) throws(StoreError) -> Int {
            guard let count = Int(exactly: value), (0...limit).contains(count) else { throw row.corrupt("\(column) out of range") }
            return count
        }
        let nextSequence = try count(nextSequence, "next_sequence", upTo: Recording.maximumChunkCount)
        let byteCount = try count(byteCount, "byte_count", upTo: Recording.maximumByteCount)
        let lostBytes = try count(lostBytes, "lost_bytes", upTo: Recording.maximumByteCount)
        let gaps = try count(gaps, "gaps", upTo: Recording.maximumChunkCount)
        guard lastEventTime >= 0 else { throw row.corrupt("last_event_time is negative") }
        let certificateRecording = try certificateRecordingID.map { value throws(StoreError) in try row.domain(value, "certificate_recording_id", RecordingID.init) }
        let session = try startedSession.map { value throws(StoreError) in try row.domain(value, "started_session", RecordingSessionID.init) }
        if certificateRecording != nil, session == nil { throw row.corrupt("a later session's recording without its session") }
        let completion: RecordingCompletion?
        switch (exitStatus, completedAt) {
        case (nil, nil): completion = nil
        case (let status?, let at?):
            completion = RecordingCompletion(exitStatus: try count(status, "exit_status", upTo: 255), completedAt: row.time(at))
        default: throw row.corrupt("exit_status and completed_at must be set together")
        }
        return try row.build("recording") { () throws(DomainError) in
            let start: RecordingStart?
            switch (startedHost, startedPTY, startedAt) {
            case (nil, nil, nil) where startedCommand == nil && session == nil: start = nil
            case (let host?, let pty?, let at?):
                start = try RecordingStart(reportedHost: host, command: startedCommand, hasTerminal: pty, receivedAt: row.time(at), session: session)
            default: throw DomainError(.invalidField, "a start report with some of its fields missing")
            }
            return Recording(
                id: id, requestID: requestID, serial: serial, user: holder, host: host, login: login, recordsInput: recordsInput,
                createdAt: row.time(createdAt), certificateExpiresAt: row.time(certificateExpiresAt), certificateRecording: certificateRecording,
                start: start,
                progress: RecordingProgress(
                    nextSequence: nextSequence, byteCount: byteCount, lastEventTime: lastEventTime, lastChunkAt: row.time(lastChunkAt),
                    lostBytes: lostBytes, gaps: gaps
                ),
                completion: completion
            )
        }
    }
}

/// A chunk's proof as the columns of its row.
public struct StoredChunkRow: Sendable {
    public var sequence: Int64
    public var byteCount: Int64
    public var digest: [UInt8]

    public init(sequence: Int64, byteCount: Int64, digest: [UInt8]) {
        self.sequence = sequence
        self.byteCount = byteCount
        self.digest = digest
    }

    public func restore(of id: RecordingID) throws(StoreError) -> StoredChunk {
        let row = RowRestorer(table: "recording_chunks", key: "\(id.rawValue)/\(sequence)")
        guard let sequence = Int(exactly: sequence), (0..<Recording.maximumChunkCount).contains(sequence) else { throw row.corrupt("sequence out of range") }
        guard let byteCount = Int(exactly: byteCount), (0...RecordingChunk.maximumByteCount).contains(byteCount) else { throw row.corrupt("byte_count out of range") }
        return StoredChunk(sequence: sequence, byteCount: byteCount, digest: try row.bytes(digest, "digest", count: 32))
    }
}
