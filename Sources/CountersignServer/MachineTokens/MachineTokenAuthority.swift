import CountersignAPI
import CountersignCore
import CountersignStore
import Foundation

/// Machine tokens: admins make, list and revoke them; every request that presents one is
/// resolved here. The core's rules decide, the store commits each change with its audit event.
///
/// A presented token is looked up by the SHA-256 of its secret (one indexed probe) and kept for
/// a second (`RecentReads`), so that a pipeline's burst of checks costs one store read. A
/// revocation on this gateway takes effect at once; one made on another gateway on the same
/// database within `RecentReads.freshness` (a second).
final class MachineTokenAuthority: Sendable {
    let store: any MachineTokenStore
    let clock: any WallClock
    let cache = RecentReads<MachineToken>()

    init(store: any MachineTokenStore, clock: any WallClock) {
        self.store = store
        self.clock = clock
    }

    /// Makes a token as `body` describes; the secret is in the answer and nowhere else.
    func create(_ body: CreateMachineTokenBody, by caller: Actor) async throws -> (token: MachineToken, secret: MachineTokenSecret) {
        // Before the body is judged, so that someone who may not make tokens learns nothing of
        // which ones would be accepted.
        try MachineTokenRules.requireManager(caller)
        let draft = try MachineTokenDraft(
            name: body.name, scopes: body.scopes, services: body.services ?? [], lifetime: body.expiresInSeconds.map(TimeInterval.init)
        )
        let secret = MachineTokenSecret.generate()
        let creation = try MachineTokenRules.create(draft, secretHash: secret.hash, by: caller, at: clock.now())
        do {
            try await store.createMachineToken(creation)
        } catch let error as StoreError where error.code == .alreadyExists {
            throw GatewayError(
                status: .conflict, code: APIErrorCode.machineTokenNameTaken,
                message: "a machine token named \(draft.name) already exists (a revoked token keeps its name, so the audit trail names one token); choose another name"
            )
        }
        return (creation.token, secret)
    }

    func tokens(for caller: Actor) async throws -> [MachineToken] {
        try MachineTokenRules.requireManager(caller)
        return try await store.machineTokens()
    }

    /// Revokes the token named `name`; asking again answers the token as the first revocation left
    /// it, and records nothing more.
    func revoke(named name: String, by caller: Actor) async throws -> MachineToken {
        try MachineTokenRules.requireManager(caller)
        let tokenName: MachineTokenName
        do {
            tokenName = try MachineTokenName(name)
        } catch {
            throw GatewayError.notFound("machine token")
        }
        let now = clock.now()
        let revoked = try await store.revokeMachineToken(named: tokenName, at: now) { try MachineTokenRules.revoke($0, by: caller, at: now) }
        // Once committed, this gateway answers from the store, which has the last word; a read
        // that began before the revocation cannot put the live token back.
        cache.forget(revoked.secretHash)
        return revoked
    }

    /// The caller behind a bearer value with the machine prefix, or nil when it is not a secret
    /// this gateway issued.
    func caller(presenting text: String) async throws -> MachineCaller? {
        guard let secret = MachineTokenSecret(text) else { return nil }
        let hash = secret.hash
        let now = clock.now()
        if let cached = cache.value(for: hash) { return MachineCaller(token: cached, resolvedAt: now) }
        guard let stored = try await store.machineToken(secretHash: hash) else { return nil }
        cache.remember(stored, for: hash)
        return MachineCaller(token: stored, resolvedAt: now)
    }
}
