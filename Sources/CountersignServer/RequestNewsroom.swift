import CountersignCore
import Foundation
import Notifications

/// Where a request change's everyday news goes: the channels its rule names in the policy in
/// force, a link to its page at the gateway's public URL, committed with the change and sent at
/// once by waking the dispatcher once it is.
struct RequestNewsroom: Sendable {
    let policies: PolicyHolder
    let publicURL: String?
    let source: String
    let dispatcher: OutboxDispatcher

    /// `change` with the notices it announces.
    func announcing(_ change: RequestChange, at now: Date) -> RequestChange {
        let channels = policies.current.policy.rule(named: change.request.ruleName)?.notify ?? []
        let notices = RequestNotices.notices(for: change, on: channels, link: link(to: change.request.id), source: source, at: now)
        guard !notices.isEmpty else { return change }
        return RequestChange(
            request: change.request, events: change.events, issued: change.issued, recordings: change.recordings,
            notifications: change.notifications + notices
        )
    }

    /// After a change that announced something has committed.
    func send() {
        dispatcher.wake()
    }

    func link(to id: RequestID) -> URL? {
        publicURL.flatMap { URL(string: $0.hasSuffix("/") ? "\($0)requests/\(id)" : "\($0)/requests/\(id)") }
    }
}
