import Crypto
import Foundation

extension BearerSecret where Kind == RecordingUploadKind {
    /// The upload token of a later session under the same certificate: HMAC-SHA256 of the session
    /// id, keyed with the certificate's token. The recorder derives it from what its certificate
    /// carries, and the gateway from the token the start call presents, so it never travels and a
    /// lost answer costs nothing; only the holder of the certificate's token can derive it, and it
    /// opens that one session's recording.
    public func derived(for session: RecordingSessionID) -> RecordingUploadToken {
        let key = SymmetricKey(data: Array(revealed.utf8))
        let code = HMAC<SHA256>.authenticationCode(for: Array(("countersign-recording-session-v1:" + session.rawValue).utf8), using: key)
        return RecordingUploadToken(derivedBytes: Array(code))
    }
}
