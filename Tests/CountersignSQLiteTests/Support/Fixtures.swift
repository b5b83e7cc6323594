import CountersignStore
import CountersignCore
import Foundation

/// Requests and people for the store's tests. Built through the core's own constructors so that
/// what is stored is exactly what the gateway would store.
enum Fixtures {
    static func user(_ name: String) throws -> Username {
        try Username(name)
    }

    static func actor(_ name: String, groups: Set<String> = ["sre"]) throws -> Actor {
        Actor(name: try user(name), groups: groups)
    }

    static func requirement(_ clauses: [(Int, String)] = [(2, "sre")], hardwareKey: Bool = false) throws -> ApprovalRequirement {
        try ApprovalRequirement(clauses: clauses.map { try ApprovalClause(count: $0.0, group: $0.1) }, hardwareKeyRequired: hardwareKey)
    }

    static func deploy(
        by requester: String = "alice", service: String = "payments", environment: String = "prod",
        reason: String = "ship the fix for INC-42", ticket: String = "INC-42",
        requirement: ApprovalRequirement? = nil, at now: Date, pendingFor: TimeInterval = 3600,
        id: RequestID = .random()
    ) throws -> AccessRequest {
        let target = RequestTarget.deploy(try DeployTarget(
            service: service, environment: environment,
            commit: try ArtifactReference("0123456789abcdef0123456789abcdef01234567")
        ))
        return AccessRequest(
            id: id, requester: try user(requester), draft: try RequestDraft(target: target, reason: reason, ticket: ticket),
            createdAt: now, ruleName: "prod-deploys", requirement: try requirement ?? Self.requirement(),
            pendingExpiresAt: now.addingTimeInterval(pendingFor), accessDurationSeconds: 1800
        )
    }

    static func ssh(
        by requester: String = "bob", host: String = "db-1.prod.example.com", login: String = "postgres",
        reason: String = "vacuum the bloated table", ticket: String = "CHG-7",
        requirement: ApprovalRequirement? = nil, at now: Date, pendingFor: TimeInterval = 3600,
        accessSeconds: Int = 900
    ) throws -> AccessRequest {
        let target = RequestTarget.ssh(try SSHTarget(host: host, login: login, durationSeconds: accessSeconds))
        return AccessRequest(
            id: .random(), requester: try user(requester), draft: try RequestDraft(target: target, reason: reason, ticket: ticket),
            createdAt: now, ruleName: "prod-ssh", requirement: try requirement ?? Self.requirement([(1, "dba")], hardwareKey: false),
            pendingExpiresAt: now.addingTimeInterval(pendingFor), accessDurationSeconds: accessSeconds
        )
    }

    /// A break-glass grant as a gateway makes it (admitted, then granted: approved at once, paged
    /// on one channel), reviewed by `reviewers`.
    static func breakGlass(
        by user: String = "bob", reviewers: Set<String> = ["security"], minutes: Int = 10, at now: Date, id: RequestID = .random()
    ) throws -> RequestChange {
        let rule = try BreakGlassRule(
            name: "database-break-glass", host: try Glob("db-*.prod.example.com"), login: try Glob("postgres"), onCall: ["sre"],
            incidentPattern: try TicketPattern("^INC-[0-9]+$"), keyTouch: .never, channels: [try ChannelName("oncall-pagerduty")],
            reviewers: reviewers
        )
        let ask = try BreakGlassAsk(
            host: "db-1.prod.example.com", login: "postgres", incident: "INC-7", reason: "the primary is down", durationSeconds: minutes * 60
        )
        let actor = try actor(user, groups: ["sre"])
        let admission = try BreakGlassRules.admit(ask, by: actor, under: [rule], hasUsableKey: false, keyTouched: false, at: now)
        return try BreakGlassRules.grant(ask, admission, id: id, to: actor.name, link: nil, source: "countersign-test", at: now)
    }
}

extension RequestStore {
    /// Most tests file a request as the gateway does: with the events the core's rule gives it.
    func createRequest(_ request: AccessRequest) async throws -> AccessRequest {
        try await createRequest(RequestRules.create(request))
    }
}

extension RequestStore {
    /// Expiry of requests whose change announces nothing (none of them a break-glass grant).
    func expireDue(at now: Date, limit: Int) async throws -> [AccessRequest] {
        try await expireDue(at: now, limit: limit, announce: { _ in [] })
    }
}
