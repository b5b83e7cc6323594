import CountersignCore
import CountersignStore
import Foundation
import Testing

/// What every backend's credential store must do, against the protocols alone, given a fresh
/// store: an issue is one unit of work (the serial, the credential row and its event commit
/// together or not at all), serials only grow, and a revoked request's credentials are listed.
enum CredentialStoreContract {
    typealias Fixtures = ContractFixtures

    /// bob's ssh request, approved by dan (dba) at `now`: its window is 900 s.
    static func approvedSSH(on store: some RequestStore, at now: Date) async throws -> AccessRequest {
        let request = try await store.file(try Fixtures.ssh(by: "bob", at: now))
        let dan = try Fixtures.actor("dan", groups: ["dba"])
        return try await store.update(request.id, at: now) { try RequestRules.apply(.approve(dan, method: .session), to: $0, at: now) }
    }

    /// An issue as the gateway makes it: the core's grant, a stand-in for the signed bytes' digest.
    @discardableResult
    static func issue(
        _ request: AccessRequest, to holder: String = "bob", lifetime: TimeInterval = 600, on store: some CredentialStore, at now: Date
    ) async throws -> IssuedCredential {
        let holder = try Fixtures.user(holder)
        return try await store.issueCredential(for: request.id, at: now) { current, serial in
            let grant = try CredentialRules.grant(.sshCertificate, for: current, to: holder, lifetime: lifetime, at: now)
            let change = try CredentialRules.issue(grant, of: current, serial: serial, fingerprint: fingerprint(serial), at: now)
            return (change, try #require(change.issued.first))
        }
    }

    static func fingerprint(_ serial: CredentialSerial) -> String {
        String(repeating: "0", count: 48) + String(format: "%016llx", serial.rawValue)
    }

    static func issuesCommitWithTheirEventsUnderGrowingSerials(_ store: some RequestStore & CredentialStore & AuditLog) async throws {
        let clock = ManualClock()
        let request = try await approvedSSH(on: store, at: clock.now())
        let eventsBefore = try await store.auditRecords(after: 0, limit: 100).count
        clock.advance(by: 30)
        let first = try await issue(request, on: store, at: clock.now())
        clock.advance(by: 30)
        let second = try await issue(request, lifetime: 3600, on: store, at: clock.now())

        #expect(first.serial < second.serial)
        #expect(try await store.credentials(of: request.id) == [first, second])
        #expect(try await store.credentials(of: .random()).isEmpty)
        #expect(try await store.request(request.id) == request, "an issue changes no request")
        #expect(first.grant.kind == .sshCertificate && first.grant.principal == "postgres" && first.grant.holder.rawValue == "bob")
        #expect(first.grant.validBefore == Date(timeIntervalSince1970: (clock.now().timeIntervalSince1970 - 30 + 600).rounded(.down)))
        #expect(second.grant.validBefore == request.accessExpiresAt.map { Date(timeIntervalSince1970: $0.timeIntervalSince1970.rounded(.down)) },
                "capped by the access window")

        let events = try await store.auditRecords(after: 0, limit: 100).dropFirst(eventsBefore).map(\.event)
        #expect(events.map(\.action) == [.credentialIssued, .credentialIssued])
        #expect(events.map { $0.details["serial"] } == [first.serial.description, second.serial.description])
        #expect(events.allSatisfy { $0.subject == request.id.rawValue && $0.actor == "bob" })
    }

    static func refusedIssuesWriteNothing(_ store: some RequestStore & CredentialStore & AuditLog) async throws {
        let clock = ManualClock()
        let now = clock.now()
        let pending = try await store.file(try Fixtures.ssh(by: "bob", at: now))
        let approved = try await approvedSSH(on: store, at: now)
        let eventsBefore = try await store.auditRecords(after: 0, limit: 100).count
        let refusals: [(String, @Sendable () async throws -> Void)] = [
            ("invalid_state", { try await issue(pending, on: store, at: now) }),
            ("forbidden", { try await issue(approved, to: "mallory", on: store, at: now) }),
            ("request_expired", { try await issue(approved, on: store, at: now.addingTimeInterval(900)) }),
            ("invalid_field", { try await issue(approved, lifetime: 0, on: store, at: now) }),
            ("not_found", { try await issue(try Fixtures.ssh(at: now), on: store, at: now) }),
            ("invalid_change", {
                _ = try await store.issueCredential(for: approved.id, at: now) { current, serial in
                    let grant = try CredentialRules.grant(.sshCertificate, for: current, to: current.requester, lifetime: 60, at: now)
                    let other = try #require(CredentialSerial(rawValue: serial.rawValue + 1))
                    return (try CredentialRules.issue(grant, of: current, serial: other, fingerprint: fingerprint(other), at: now), ())
                }
            }),
            ("invalid_change", {
                _ = try await store.issueCredential(for: approved.id, at: now) { current, _ in
                    (try RequestRules.apply(.revoke(try Fixtures.actor("bob"), reason: "done early"), to: current, at: now), ())
                }
            }),
            ("invalid_state", { _ = try await store.issueCredential(for: approved.id, at: now) { current, serial in
                let grant = try CredentialRules.grant(.deployToken, for: current, to: current.requester, lifetime: 60, at: now)
                return (try CredentialRules.issue(grant, of: current, serial: serial, fingerprint: fingerprint(serial), at: now), ())
            } }),
            ("invalid_change", {
                // Only an issue allocates a serial: an ordinary update cannot carry a credential.
                _ = try await store.update(approved.id, at: now) { current in
                    let grant = try CredentialRules.grant(.sshCertificate, for: current, to: current.requester, lifetime: 60, at: now)
                    let made = try #require(CredentialSerial(rawValue: 4242))
                    return try CredentialRules.issue(grant, of: current, serial: made, fingerprint: fingerprint(made), at: now)
                }
            }),
        ]
        for (expected, attempt) in refusals {
            #expect(await Fixtures.refusalCode(attempt) == expected)
        }
        #expect(try await store.credentials(of: approved.id).isEmpty)
        #expect(try await store.credentials(of: pending.id).isEmpty)
        #expect(try await store.request(approved.id) == approved)
        #expect(try await store.auditRecords(after: 0, limit: 100).count == eventsBefore, "no refused issue left an event")
        let issued = try await issue(approved, on: store, at: now)
        #expect(try await store.credentials(of: approved.id) == [issued])
    }

    /// What a revocation list names, judged against the core's rule for every credential issued.
    static func revokedRequestsListTheirValidCredentials(_ store: some RequestStore & CredentialStore) async throws {
        let clock = ManualClock()
        let now = clock.now()
        let kept = try await approvedSSH(on: store, at: now)
        var ended = try await approvedSSH(on: store, at: now)
        let keptCredential = try await issue(kept, on: store, at: now)
        let short = try await issue(ended, lifetime: 60, on: store, at: now)
        let long = try await issue(ended, lifetime: 600, on: store, at: now)
        #expect(try await store.revokedCredentials(at: now).isEmpty)

        let later = now.addingTimeInterval(30)
        ended = try await store.update(ended.id, at: later) { try RequestRules.apply(.revoke(try Fixtures.actor("bob"), reason: "done early"), to: $0, at: later) }
        for time in [later, now.addingTimeInterval(60), now.addingTimeInterval(600), now.addingTimeInterval(3600)] {
            let expected = [(keptCredential, kept), (short, ended), (long, ended)]
                .filter { CredentialRules.mustBeRevoked($0.0, of: $0.1, at: time) }.map(\.0)
            #expect(try await store.revokedCredentials(at: time) == expected, "at \(time)")
        }
        #expect(try await store.revokedCredentials(at: later) == [short, long])
        #expect(try await store.revokedCredentials(at: now.addingTimeInterval(600)).isEmpty, "expired credentials need no listing")
    }

    /// Issues made at once, for one request: every one commits under a serial of its own.
    static func concurrentIssuesTakeDistinctSerials(_ stores: [some RequestStore & CredentialStore]) async throws {
        let now = Date()
        let request = try await approvedSSH(on: stores[0], at: now)
        let serials = try await withThrowingTaskGroup(of: CredentialSerial.self) { group in
            for index in 0..<24 {
                let store = stores[index % stores.count]
                group.addTask { try await issue(request, on: store, at: now).serial }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(serials).count == 24)
        #expect(try await stores[0].credentials(of: request.id).map(\.serial) == serials.sorted())
    }

    /// The audit log is the audit device: with `breakAudit` making every append fail, an issue
    /// fails and leaves no credential; with `repairAudit`, the same issue succeeds.
    static func anIssueFailsClosedWithTheAuditLog(
        _ store: some RequestStore & CredentialStore & AuditLog,
        breakAudit: () async throws -> Void, repairAudit: () async throws -> Void
    ) async throws {
        let now = Date()
        let request = try await approvedSSH(on: store, at: now)
        let counted = store.committedAuditEvents
        try await breakAudit()
        #expect(await Fixtures.refusalCode { try await issue(request, on: store, at: now) } == "storage_failure")
        #expect(try await store.credentials(of: request.id).isEmpty)
        #expect(store.committedAuditEvents == counted)
        try await repairAudit()
        let issued = try await issue(request, on: store, at: now)
        #expect(try await store.credentials(of: request.id) == [issued])
    }

    /// Issued credentials are history: `execute` runs SQL behind the store's back, and the
    /// database refuses to edit or delete the row.
    static func issuedCredentialsCannotBeEdited(_ store: some RequestStore & CredentialStore, execute: (String) async throws -> Void) async throws {
        let now = Date()
        let issued = try await issue(try await approvedSSH(on: store, at: now), on: store, at: now)
        await #expect(throws: (any Error).self) { try await execute("UPDATE credentials SET valid_before = valid_before + 86400000") }
        await #expect(throws: (any Error).self) { try await execute("DELETE FROM credentials") }
        #expect(try await store.credentials(of: issued.requestID) == [issued])
    }
}
