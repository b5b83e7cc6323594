/// What the edge makes for a recorded session's certificate before the store allocates its
/// serial: the recording's id and the hash of the token that alone may append to it (the token
/// itself goes into the certificate and nowhere else).
public struct RecordingTicket: Hashable, Sendable {
    public let id: RecordingID
    public let uploadTokenHash: [UInt8]

    public init(id: RecordingID, uploadToken: RecordingUploadToken) {
        self.id = id
        self.uploadTokenHash = uploadToken.hash
    }
}

/// A recording as an issue's unit of work creates it, with the hash its uploads are checked against.
public struct NewRecording: Hashable, Sendable {
    public let recording: Recording
    public let uploadTokenHash: [UInt8]

    public init(recording: Recording, uploadTokenHash: [UInt8]) {
        self.recording = recording
        self.uploadTokenHash = uploadTokenHash
    }
}
