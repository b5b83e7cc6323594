import CountersignAPI
import CountersignCore
import CountersignStore

/// Who may append to a recording: whoever presents the upload token its certificate carries,
/// for that recording only. The token is found by its SHA-256, never compared or logged itself.
struct RecordingUploadAuthority: Sendable {
    let store: any GatewayStore

    /// The recording `id` and the token that opened it.
    @discardableResult
    func recording(_ id: RecordingID, in context: GatewayContext) async throws -> (Recording, RecordingUploadToken) {
        // Deploy tooling's token is refused by name, as on every route that is not the gate.
        guard !context.presentedMachineToken else { throw GatewayError.machineTokenRefused }
        guard let token = context.recordingUpload, let recording = try await store.recording(uploadTokenHash: token.hash) else {
            throw GatewayError(status: .unauthorized, code: APIErrorCode.recordingTokenInvalid, message: "present the upload token of this recording's certificate")
        }
        guard recording.id == id else {
            throw GatewayError(status: .forbidden, code: APIErrorCode.recordingTokenMismatch, message: "this upload token belongs to another recording")
        }
        return (recording, token)
    }
}
