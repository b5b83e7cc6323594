import Foundation

/// Who may manage machine tokens, what making and revoking one records, and whether a token may
/// do something for a service at a time: stated once, for the server and every store.
public enum MachineTokenRules {
    /// Audit details name the services a token acts for, or this when it acts for any: no
    /// service pattern can hold a parenthesis, so it never reads as one.
    public static let anyService = "(any)"

    /// Only admins make, list and revoke machine tokens.
    public static func requireManager(_ actor: Actor) throws(DomainError) {
        guard actor.groups.contains(WellKnownGroup.admins) else {
            throw DomainError(.forbidden, "only the \(WellKnownGroup.admins) group may manage machine tokens")
        }
    }

    /// The token `draft` describes, known by `secretHash`, made by `actor` at `now`, with its
    /// `machine_token.created` event (naming what it may do, never its secret or hash).
    public static func create(_ draft: MachineTokenDraft, secretHash: [UInt8], by actor: Actor, at now: Date) throws(DomainError) -> MachineTokenChange {
        try requireManager(actor)
        let token = try MachineToken(
            name: draft.name, secretHash: secretHash, scopes: draft.scopes, services: draft.services,
            createdBy: actor.name, createdAt: now, expiresAt: now.addingTimeInterval(draft.lifetime)
        )
        let event = AuditEvent(time: now, actor: actor.name.rawValue, action: .machineTokenCreated, subject: token.auditActor, details: [
            "scopes": token.sortedScopes.map(\.rawValue).joined(separator: ","),
            "services": token.services.isEmpty ? anyService : token.services.map(\.description).joined(separator: ","),
            "expires_at": String(token.expiresAt.millisecondsSinceEpoch),
        ])
        return MachineTokenChange(token: token, events: [event])
    }

    /// `token` revoked by `actor` at `now`, with its `machine_token.revoked` event. Revoking a
    /// token already revoked changes nothing and records nothing: the first revocation stands,
    /// and asking twice (a retried script) is not an error.
    public static func revoke(_ token: MachineToken, by actor: Actor, at now: Date) throws(DomainError) -> MachineTokenChange {
        try requireManager(actor)
        guard token.revocation == nil else { return MachineTokenChange(token: token, events: []) }
        var revoked = token
        revoked.revocation = MachineToken.Revocation(at: now, by: actor.name)
        let event = AuditEvent(time: now, actor: actor.name.rawValue, action: .machineTokenRevoked, subject: token.auditActor, details: [
            "created_by": token.createdBy.rawValue,
            "expires_at": String(token.expiresAt.millisecondsSinceEpoch),
        ])
        return MachineTokenChange(token: revoked, events: [event])
    }

    /// Whether `token` may do `scope` for `service` (a checked service name) at `now`: refused
    /// once revoked (whenever that was by this clock: a gateway whose clock lags the one that
    /// revoked must refuse too) or expired, without the scope, or for a service outside its
    /// patterns.
    public static func authorise(_ token: MachineToken, for scope: MachineScope, service: String, at now: Date) throws(MachineTokenRefusal) {
        if let revocation = token.revocation {
            throw MachineTokenRefusal(.revoked, "machine token \(token.name) was revoked at \(revocation.at) by \(revocation.by)")
        }
        guard !token.isExpired(at: now) else {
            throw MachineTokenRefusal(.expired, "machine token \(token.name) expired at \(token.expiresAt); ask an admin for a new one")
        }
        guard token.scopes.contains(scope) else {
            throw MachineTokenRefusal(.missingScope, "machine token \(token.name) does not hold the scope \(scope)")
        }
        guard token.services.isEmpty || token.services.contains(where: { $0.matches(service) }) else {
            let allowed = token.services.map(\.description).joined(separator: ", ")
            throw MachineTokenRefusal(.serviceOutside, "machine token \(token.name) acts only for services matching \(allowed), not \(String(service.prefix(64)))")
        }
    }
}
