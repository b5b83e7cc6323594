import CountersignCore

/// Where one session's chunks go: the recording the gateway named in its answer to the session's
/// start, and the token that may append to it. The certificate's first session is given the
/// certificate's own recording, whose token the certificate carries; a later session under the
/// same certificate a recording of its own, whose token is derived from the certificate's for that
/// session, so that it never travels and no session can append to another's.
struct UploadTarget: Sendable {
    let recordingID: RecordingID
    let token: RecordingUploadToken

    init(answered recording: RecordingID, certificate: RecordingCredentials, session: RecordingSessionID) {
        recordingID = recording
        token = recording == certificate.recordingID ? certificate.uploadToken : certificate.uploadToken.derived(for: session)
    }
}
