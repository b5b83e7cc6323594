import CountersignAPI
import CountersignCore
import CountersignStore
import Foundation
import Synchronization

/// The request operations behind the API: the policy admits, the core rules decide, the store
/// commits the change with its audit events. Nothing here decides a rule of its own.
struct RequestDesk: Sendable {
    let store: any GatewayStore
    /// A request polled by its CLI or page is read from the store once a second at most.
    let recentReads: RecentStoreReads<RequestID, AccessRequest>
    let policies: PolicyHolder
    let directory: MembershipDirectory
    let clock: any WallClock
    let metrics: GatewayMetrics
    let newsroom: RequestNewsroom

    func create(_ body: CreateRequestBody, by caller: Actor) async throws -> AccessRequest {
        let draft = try RequestDraftParser.draft(from: body)
        let now = clock.now()
        let admission: Admission
        do {
            admission = try policies.current.policy.admit(draft, from: caller)
        } catch {
            // Refusals are audited too: repeated attempts at unmatched targets are worth seeing.
            _ = try await store.appendAudit([AuditEvent(
                time: now, actor: caller.name.rawValue, action: .requestRefused, subject: draft.target.kind.rawValue,
                details: draft.target.attributes.merging(["code": error.code.rawValue, "message": error.message]) { $1 }
            )])
            throw error
        }
        let request = admission.request(id: RequestID.random(), requester: caller.name, draft: draft, at: now)
        let creation = newsroom.announcing(RequestRules.create(request), at: now)
        let stored = try await store.createRequest(creation)
        if !creation.notifications.isEmpty { newsroom.send() }
        return stored
    }

    func act(on id: RequestID, _ action: RequestAction) async throws -> AccessRequest {
        let now = clock.now()
        let newsroom = newsroom
        let announced = Mutex(false)
        let updated = try await store.update(id, at: now) { request in
            let change = newsroom.announcing(try RequestRules.apply(action, to: request, at: now), at: now)
            announced.withLock { $0 = !change.notifications.isEmpty }
            return change
        }
        if announced.withLock({ $0 }) { newsroom.send() }
        return updated
    }

    /// The request if the caller may see it; otherwise it does not exist for them.
    func request(_ id: RequestID, for caller: Actor) async throws -> AccessRequest {
        let found = try await recentReads.value(for: id, generation: store.committedAuditEvents) { try await store.request(id) }
        guard let request = found, RequestRules.mayView(request, actor: caller) else {
            throw GatewayError.notFound("request \(id)")
        }
        return request
    }

    func list(_ scope: RequestScope, states: Set<RequestState>, search: String?, before cursor: RequestCursor?, limit: Int, for caller: Actor) async throws -> (requests: [AccessRequest], next: RequestCursor?) {
        let audience: RequestAudience = scope == .reviewable ? .reviewer(caller) : .viewer(caller)
        let query = try RequestQuery(
            requester: scope == .mine ? caller.name : nil, states: scope == .reviewable ? [.pending] : states,
            search: search, audience: audience, limit: limit, before: cursor
        )
        let page = try await store.requests(query)
        // The store applies the audience in its query; held against the rule once more so that a
        // backend that drifts from it hides rows rather than shows them.
        let visible = page.filter { RequestRules.belongs($0, to: audience) }
        let next = page.count == limit ? visible.last.map(RequestCursor.init(after:)) : nil
        return (visible, next)
    }
}

enum RequestScope: String, Sendable, CaseIterable {
    case mine
    case reviewable
    case all
}

extension RequestCursor {
    /// The cursor as the API hands it out: `<created_at ms>.<id>`.
    var token: String { "\(createdAt.millisecondsSinceEpoch).\(id)" }

    init?(token: String) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].utf8.count <= 15, parts[0].utf8.allSatisfy({ (48...57).contains($0) }),
              let milliseconds = Int64(parts[0]), let id = try? RequestID(String(parts[1])) else { return nil }
        self.init(createdAtMilliseconds: milliseconds, id: id)
    }
}
