import CountersignCore
import CountersignStore

extension RecordingRules {
    /// `mayView`, reading the recording's request only when the caller is neither an overseer nor
    /// the session's user: a break-glass grant's reviewers see its recordings.
    static func mayView(_ recording: Recording, actor: Actor, in store: any GatewayStore) async throws -> Bool {
        if mayView(recording, actor: actor) { return true }
        return mayView(recording, actor: actor, request: try await store.request(recording.requestID))
    }
}
