import CountersignCore
import CountersignStore
import Foundation

/// Requests and people for the contract functions, built through the core's own constructors so
/// that what is stored is exactly what a gateway would store.
enum ContractFixtures {
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
        commit: String = "0123456789abcdef0123456789abcdef01234567", reason: String = "ship the fix for INC-42",
        ticket: String = "INC-42", requirement: ApprovalRequirement? = nil, at now: Date, pendingFor: TimeInterval = 3600,
        id: RequestID = .random(), singleUse: Bool = false
    ) throws -> AccessRequest {
        let target = RequestTarget.deploy(try DeployTarget(service: service, environment: environment, commit: try ArtifactReference(commit)))
        return AccessRequest(
            id: id, requester: try user(requester), draft: try RequestDraft(target: target, reason: reason, ticket: ticket),
            createdAt: now, ruleName: "prod-deploys", requirement: try requirement ?? Self.requirement(), singleUse: singleUse,
            pendingExpiresAt: now.addingTimeInterval(pendingFor), accessDurationSeconds: 1800
        )
    }

    static func ssh(
        by requester: String = "bob", host: String = "db-1.prod.example.com", reason: String = "vacuum the bloated table",
        requirement: ApprovalRequirement? = nil, terms: CertificateTerms? = nil, at now: Date, pendingFor: TimeInterval = 3600
    ) throws -> AccessRequest {
        let target = RequestTarget.ssh(try SSHTarget(host: host, login: "postgres", durationSeconds: 900))
        return AccessRequest(
            id: .random(), requester: try user(requester), draft: try RequestDraft(target: target, reason: reason, ticket: "CHG-7"),
            createdAt: now, ruleName: "prod-ssh", requirement: try requirement ?? Self.requirement([(1, "dba")]),
            certificateTerms: try terms ?? Self.certificateTerms, pendingExpiresAt: now.addingTimeInterval(pendingFor), accessDurationSeconds: 900
        )
    }

    /// Terms unlike the standard ones in every field, so a round trip shows each is kept.
    static var certificateTerms: CertificateTerms {
        get throws {
            try CertificateTerms(
                lifetimeSeconds: 600, sourceAddresses: [try AddressBlock("10.20.0.0/16"), try AddressBlock("2001:db8::/32")],
                forceCommand: "/usr/local/bin/countersign record", forwarding: [.port, .x11]
            )
        }
    }

    /// The code of the `DomainError` or `StoreError` that `body` throws; nil if it throws nothing.
    static func refusalCode(_ body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch let error as DomainError {
            return error.code.rawValue
        } catch let error as StoreError {
            return error.code.rawValue
        } catch let refusal as DeployRefusal {
            return refusal.code
        } catch let refusal as RecordingRefusal {
            return refusal.code.rawValue
        } catch {
            return "\(error)"
        }
    }
}

extension RequestStore {
    /// A request filed as the gateway files it: with the events the core's rule gives it.
    func file(_ request: AccessRequest) async throws -> AccessRequest {
        try await createRequest(RequestRules.create(request))
    }
}

extension RequestStore {
    /// Expiry of requests whose change announces nothing (none of them a break-glass grant).
    func expireDue(at now: Date, limit: Int) async throws -> [AccessRequest] {
        try await expireDue(at: now, limit: limit, announce: { _ in [] })
    }
}
