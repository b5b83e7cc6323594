import CountersignAPI
import CountersignCore
import CountersignStore
import Foundation

/// The recordings of one request's sessions that a caller may see, as its page lists them: all of
/// them for auditors, admins and a break-glass grant's reviewers, the caller's own sessions' for
/// anyone else; states at `now`.
enum RequestRecordings {
    /// Far more certificates than one request's window issues in practice.
    static let limit = 200

    static func visible(of request: AccessRequest, to caller: Actor, store: any GatewayStore, at now: Date) async throws -> [RecordingView] {
        // The terms are fixed on the request when filed: one that records nothing has no recordings.
        guard request.certificateTerms.recording != .off else { return [] }
        let user = RecordingRules.mayViewEvery(of: request, actor: caller) ? nil : caller.name
        return try await store.recordings(of: request.id, user: user, limit: limit)
            .filter { RecordingRules.mayView($0, actor: caller, request: request) }
            .map { RecordingView($0, at: now) }
    }
}
