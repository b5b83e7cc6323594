import CountersignCore
import CountersignStore
import Foundation
import Testing

/// What every backend's machine-token store must do, against the protocols alone, given a fresh
/// store: a token and its event commit together or not at all, a name is taken once and for
/// ever, a token is found by its secret's hash in whatever state it is, and a revocation is
/// recorded once.
enum MachineTokenStoreContract {
    typealias Fixtures = ContractFixtures

    static let erin = Actor(name: try! Username("erin"), groups: [WellKnownGroup.admins])

    /// A token as the gateway makes it: the core's draft and rule, a fresh secret.
    static func creation(
        _ name: String, scopes: [String] = ["deploy:check"], services: [String] = [], lifetime: TimeInterval? = nil,
        secret: MachineTokenSecret = .generate(), at now: Date
    ) throws -> MachineTokenChange {
        let draft = try MachineTokenDraft(name: name, scopes: scopes, services: services, lifetime: lifetime)
        return try MachineTokenRules.create(draft, secretHash: secret.hash, by: erin, at: now)
    }

    static func revoke(_ name: String, on store: some MachineTokenStore, by actor: Actor = erin, at now: Date) async throws -> MachineToken {
        try await store.revokeMachineToken(named: try MachineTokenName(name), at: now) { try MachineTokenRules.revoke($0, by: actor, at: now) }
    }

    static func events(after count: Int, in store: some AuditLog) async throws -> [AuditEvent] {
        try await store.auditRecords(after: 0, limit: 1000).dropFirst(count).map(\.event)
    }

    static func createdTokensReadBackAndAreFoundByTheirHash(_ store: some MachineTokenStore & AuditLog) async throws {
        let now = ManualClock().now()
        let before = try await store.auditRecords(after: 0, limit: 1000).count
        let secret = MachineTokenSecret.generate()
        let payments = try creation("ci-payments", scopes: ["deploy:check", "deploy:consume"], services: ["payments-*", "web"], secret: secret, at: now)
        let web = try creation("ci-web", at: now)
        try await store.createMachineToken(web)
        try await store.createMachineToken(payments)

        #expect(try await store.machineTokens() == [payments.token, web.token], "every token, by name")
        #expect(try await store.machineToken(secretHash: secret.hash) == payments.token)
        #expect(try await store.machineToken(secretHash: web.token.secretHash) == web.token)
        #expect(try await store.machineToken(secretHash: MachineTokenSecret.generate().hash) == nil)
        #expect(try await store.machineToken(secretHash: []) == nil, "a hash of the wrong length finds nothing")
        let events = try await events(after: before, in: store)
        #expect(events == web.events + payments.events)
        #expect(events.map(\.subject) == ["machine:ci-web", "machine:ci-payments"])
    }

    static func aNameIsTakenOnceEvenAfterRevocation(_ store: some MachineTokenStore & AuditLog) async throws {
        let now = ManualClock().now()
        let original = try creation("ci-payments", at: now)
        try await store.createMachineToken(original)
        let before = try await store.auditRecords(after: 0, limit: 1000).count

        #expect(await Fixtures.refusalCode { try await store.createMachineToken(try creation("ci-payments", at: now)) } == "already_exists")
        _ = try await revoke("ci-payments", on: store, at: now.addingTimeInterval(60))
        let afterRevocation = try await store.auditRecords(after: 0, limit: 1000).count
        #expect(await Fixtures.refusalCode { try await store.createMachineToken(try creation("ci-payments", at: now.addingTimeInterval(120))) } == "already_exists",
                "a revoked token keeps its name")
        let sameSecret = try MachineTokenRules.create(
            try MachineTokenDraft(name: "ci-other", scopes: ["deploy:check"]), secretHash: original.token.secretHash, by: erin, at: now
        )
        #expect(await Fixtures.refusalCode { try await store.createMachineToken(sameSecret) } == "already_exists", "a hash finds one token")
        #expect(try await store.machineTokens().map(\.name.rawValue) == ["ci-payments"])
        #expect(try await store.auditRecords(after: 0, limit: 1000).count == afterRevocation, "refused creations record nothing")
        #expect(afterRevocation == before + 1)
    }

    static func aRevocationIsRecordedOnce(_ store: some MachineTokenStore & AuditLog) async throws {
        let clock = ManualClock()
        let made = try creation("ci-payments", at: clock.now())
        try await store.createMachineToken(made)
        let before = try await store.auditRecords(after: 0, limit: 1000).count
        clock.advance(by: 3600)
        let revoked = try await revoke("ci-payments", on: store, at: clock.now())
        #expect(revoked.revocation == MachineToken.Revocation(at: clock.now(), by: erin.name))
        #expect(try await store.machineToken(secretHash: made.token.secretHash) == revoked, "looked up, it is revoked")
        #expect(try await store.machineTokens() == [revoked])

        clock.advance(by: 60)
        let again = try await revoke("ci-payments", on: store, at: clock.now())
        #expect(again == revoked, "the first revocation stands")
        let events = try await events(after: before, in: store)
        #expect(events.map(\.action) == [.machineTokenRevoked])
        #expect(events.first?.actor == "erin" && events.first?.subject == "machine:ci-payments")
    }

    static func refusedRevocationsWriteNothing(_ store: some MachineTokenStore & AuditLog) async throws {
        let now = ManualClock().now()
        let made = try creation("ci-payments", at: now)
        try await store.createMachineToken(made)
        let before = try await store.auditRecords(after: 0, limit: 1000).count
        let name = try MachineTokenName("ci-payments")
        let alice = try Fixtures.actor("alice", groups: ["payments"])
        let refusals: [(String, @Sendable () async throws -> Void)] = [
            ("not_found", { _ = try await revoke("ci-nobody", on: store, at: now) }),
            ("forbidden", { _ = try await revoke("ci-payments", on: store, by: alice, at: now) }),
            ("invalid_change", {
                // Another token under the same name.
                _ = try await store.revokeMachineToken(named: name, at: now) { _ in
                    try MachineTokenRules.revoke(try creation("ci-payments", at: now).token, by: erin, at: now)
                }
            }),
            ("invalid_change", {
                // Events that audit a revocation that did not happen.
                _ = try await store.revokeMachineToken(named: name, at: now) { current in
                    MachineTokenChange(token: current, events: try MachineTokenRules.revoke(current, by: erin, at: now).events)
                }
            }),
            ("invalid_change", {
                // A revocation nobody audits.
                _ = try await store.revokeMachineToken(named: name, at: now) { current in
                    MachineTokenChange(token: try MachineTokenRules.revoke(current, by: erin, at: now).token, events: [])
                }
            }),
        ]
        for (expected, attempt) in refusals {
            #expect(await Fixtures.refusalCode(attempt) == expected)
        }
        #expect(try await store.machineTokens() == [made.token], "still unrevoked")
        #expect(try await store.auditRecords(after: 0, limit: 1000).count == before)
    }

    /// The store keeps a token's expiry exactly; the core's rule judges it against the time asked.
    static func anExpiredTokenIsStillFoundAndThenRefused(_ store: some MachineTokenStore) async throws {
        let clock = ManualClock()
        let made = try creation("ci-short", lifetime: 60, at: clock.now())
        try await store.createMachineToken(made)
        let found = try #require(try await store.machineToken(secretHash: made.token.secretHash))
        #expect(found.expiresAt == clock.now().addingTimeInterval(60).truncatedToMilliseconds)
        #expect(throws: Never.self) { try MachineTokenRules.authorise(found, for: .deployCheck, service: "web", at: clock.now()) }
        clock.advance(by: 60)
        let later = try #require(try await store.machineToken(secretHash: made.token.secretHash), "an expired token is still known")
        let refusal = #expect(throws: MachineTokenRefusal.self) {
            try MachineTokenRules.authorise(later, for: .deployCheck, service: "web", at: clock.now())
        }
        #expect(refusal?.code == .expired)
    }

    /// The audit log is the audit device: with `breakAudit` making every append fail, making and
    /// revoking a token fail and change nothing; with `repairAudit`, both succeed.
    static func tokensFailClosedWithTheAuditLog(
        _ store: some MachineTokenStore & AuditLog, breakAudit: () async throws -> Void, repairAudit: () async throws -> Void
    ) async throws {
        let now = Date()
        let kept = try creation("ci-kept", at: now)
        try await store.createMachineToken(kept)
        let counted = store.committedAuditEvents
        try await breakAudit()
        #expect(await Fixtures.refusalCode { try await store.createMachineToken(try creation("ci-new", at: now)) } == "storage_failure")
        #expect(await Fixtures.refusalCode { _ = try await revoke("ci-kept", on: store, at: now) } == "storage_failure")
        #expect(try await store.machineTokens() == [kept.token], "nothing made, nothing revoked")
        #expect(store.committedAuditEvents == counted)
        try await repairAudit()
        try await store.createMachineToken(try creation("ci-new", at: now))
        #expect(try await revoke("ci-kept", on: store, at: now).revocation != nil)
    }

    /// `execute` runs SQL behind the store's back: the database refuses to delete a token, to
    /// edit what it may do, and to undo its revocation.
    static func tokensCannotBeDeletedOrEdited(_ store: some MachineTokenStore, execute: (String) async throws -> Void) async throws {
        let now = Date()
        try await store.createMachineToken(try creation("ci-payments", at: now))
        let revoked = try await revoke("ci-payments", on: store, at: now)
        for statement in [
            "DELETE FROM machine_tokens",
            "UPDATE machine_tokens SET scopes = '[\"deploy:check\",\"deploy:consume\"]'",
            "UPDATE machine_tokens SET expires_at = expires_at + 86400000",
            "UPDATE machine_tokens SET revoked_at = NULL, revoked_by = NULL",
            "UPDATE machine_tokens SET revoked_at = revoked_at + 1",
        ] {
            await #expect(throws: (any Error).self, "\(statement)") { try await execute(statement) }
        }
        #expect(try await store.machineTokens() == [revoked])
    }

    /// Gateways making one name, and revoking one token, at once: one token, one revocation.
    static func concurrentCreationsAndRevocationsHappenOnce(_ stores: [some MachineTokenStore & AuditLog]) async throws {
        let now = Date()
        let outcomes = try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<8 {
                let store = stores[index % stores.count]
                group.addTask { await Fixtures.refusalCode { try await store.createMachineToken(try creation("ci-payments", at: now)) } }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == nil }.count == 1)
        #expect(outcomes.compactMap { $0 }.allSatisfy { $0 == "already_exists" }, "\(outcomes)")
        let before = try await stores[0].auditRecords(after: 0, limit: 1000).count
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<8 {
                let store = stores[index % stores.count]
                group.addTask { _ = try await revoke("ci-payments", on: store, at: now) }
            }
            try await group.waitForAll()
        }
        #expect(try await events(after: before, in: stores[0]).map(\.action) == [.machineTokenRevoked])
    }
}
