import Foundation
import Testing
@testable import CountersignCore

/// One attempt to take a credential: from a request in `start`, by `holder`, `offset` seconds
/// after creation, asking for `lifetime`.
struct GrantCase: Sendable, CustomTestStringConvertible {
    enum Outcome: Sendable {
        /// Valid from and until these offsets after creation.
        case granted(validAfter: TimeInterval, validBefore: TimeInterval)
        case refused(DomainError.Code)
    }

    let testDescription: String
    let start: Start
    let holder: Actor
    let offset: TimeInterval
    let lifetime: TimeInterval
    let outcome: Outcome

    init(_ description: String, _ start: Start, by holder: Actor = Cast.alice, at offset: TimeInterval = 120,
         lifetime: TimeInterval = 600, _ outcome: Outcome) {
        self.testDescription = description
        self.start = start
        self.holder = holder
        self.offset = offset
        self.lifetime = lifetime
        self.outcome = outcome
    }
}

@Suite("Credential rules")
struct CredentialRulesTests {
    /// `Start.approved` gives access from +60 s until +1860 s.
    static let table: [GrantCase] = [
        GrantCase("the requester takes a credential while her access is open",
                  .approved, .granted(validAfter: 60, validBefore: 720)),
        GrantCase("validity starts a minute early, for hosts whose clock lags",
                  .approved, at: 1000.75, lifetime: 60, .granted(validAfter: 940, validBefore: 1060)),
        GrantCase("a credential never outlives the access window",
                  .approved, at: 1500, .granted(validAfter: 1440, validBefore: 1860)),
        GrantCase("half a second before the window ends, there is still some of it",
                  .approved, at: 1859.5, .granted(validAfter: 1799, validBefore: 1860)),
        GrantCase("the longest lifetime is allowed",
                  .approved, at: 120, lifetime: CredentialRules.maximumLifetime, .granted(validAfter: 60, validBefore: 1860)),
        GrantCase("at the end of the window the request has expired",
                  .approved, at: 1860, .refused(.requestExpired)),
        GrantCase("an approver cannot take the requester's credential",
                  .approved, by: Cast.bob, .refused(.forbidden)),
        GrantCase("an admin cannot take it either",
                  .approved, by: Cast.erin, .refused(.forbidden)),
        GrantCase("a pending request yields nothing", .pending, .refused(.invalidState)),
        GrantCase("a partly approved request yields nothing", .partlyApproved, .refused(.invalidState)),
        GrantCase("a denied request yields nothing", .denied, .refused(.invalidState)),
        GrantCase("a cancelled request yields nothing", .cancelled, .refused(.invalidState)),
        GrantCase("a revoked request yields nothing", .revoked, at: 130, .refused(.invalidState)),
        GrantCase("an expired request yields nothing", .expiredAfterAccess, at: 1900, .refused(.invalidState)),
        GrantCase("a lifetime of nothing is refused", .approved, lifetime: 0, .refused(.invalidField)),
        GrantCase("a negative lifetime is refused", .approved, lifetime: -60, .refused(.invalidField)),
        GrantCase("a lifetime past the maximum is refused",
                  .approved, lifetime: CredentialRules.maximumLifetime + 1, .refused(.invalidField)),
    ]

    @Test("a grant is made or refused with a code", arguments: table)
    func grant(_ row: GrantCase) throws {
        let request = try row.start.request
        let now = Fixture.created.addingTimeInterval(row.offset)
        switch row.outcome {
        case .granted(let validAfter, let validBefore):
            let grant = try CredentialRules.grant(.deployToken, for: request, to: row.holder.name, lifetime: row.lifetime, at: now)
            #expect(grant.validAfter == Fixture.created.addingTimeInterval(validAfter))
            #expect(grant.validBefore == Fixture.created.addingTimeInterval(validBefore))
            #expect(grant.isValid(at: now))
            #expect(grant.holder == request.requester && grant.requestID == request.id)
        case .refused(let code):
            let error = refusal { () throws(DomainError) in try CredentialRules.grant(.deployToken, for: request, to: row.holder.name, lifetime: row.lifetime, at: now) }
            #expect(error?.code == code, "\(error.map(String.init(describing:)) ?? "no error")")
        }
    }

    @Test("a deploy request yields a deploy token for its service; an ssh request, a certificate for its login")
    func kindsAndPrincipals() throws {
        let deploy = try Start.approved.request
        let grant = try CredentialRules.grant(.deployToken, for: deploy, to: Cast.alice.name, lifetime: 60, at: Fixture.created.addingTimeInterval(120))
        #expect(grant.kind == .deployToken && grant.principal == "payments-api")
        #expect(CredentialKind(yieldedBy: .ssh) == .sshCertificate)
        let wrongKind = refusal { () throws(DomainError) in
            try CredentialRules.grant(.sshCertificate, for: deploy, to: Cast.alice.name, lifetime: 60, at: Fixture.created.addingTimeInterval(120))
        }
        #expect(wrongKind?.code == .invalidState, "a deploy request yields no SSH certificate")
        #expect(RequestKind.allCases.map(CredentialKind.init(yieldedBy:)) == [.deployToken, .sshCertificate, .sshCertificate], "break-glass yields an SSH certificate")
    }

    @Test("an issue is a unit of work: the request unchanged, the credential under the store's serial, and one event")
    func issue() throws {
        let request = try Start.approved.request
        let now = Fixture.created.addingTimeInterval(120)
        let grant = try CredentialRules.grant(.deployToken, for: request, to: Cast.alice.name, lifetime: 600, at: now)
        let serial = try #require(CredentialSerial(rawValue: 7))
        let fingerprint = String(repeating: "ab", count: 32)
        let change = try CredentialRules.issue(grant, of: request, serial: serial, fingerprint: fingerprint, at: now)
        #expect(change.request == request)
        #expect(change.issued == [try IssuedCredential(serial: serial, grant: grant, fingerprint: fingerprint, issuedAt: now)])
        let event = try #require(change.events.first)
        #expect(change.events.count == 1)
        #expect(event.action == .credentialIssued && event.actor == "alice" && event.subject == request.id.rawValue)
        #expect(event.details == [
            "serial": "7", "kind": "deploy_token", "principal": "payments-api", "fingerprint": fingerprint,
            "valid_after": String(grant.validAfter.millisecondsSinceEpoch), "valid_before": String(grant.validBefore.millisecondsSinceEpoch),
        ])

        var other = try Start.approved.request
        other = AccessRequest(
            id: try RequestID("zzzzzzzzzzzzzzzzzzzz"), requester: other.requester,
            draft: Fixture.deployDraft, createdAt: other.createdAt, ruleName: other.ruleName, requirement: other.requirement,
            pendingExpiresAt: other.pendingExpiresAt, accessDurationSeconds: other.accessDurationSeconds
        )
        let misdirected = refusal { () throws(DomainError) in try CredentialRules.issue(grant, of: other, serial: serial, fingerprint: fingerprint, at: now) }
        #expect(misdirected?.code == .invalidField)
        for bad in [String(repeating: "AB", count: 32), String(repeating: "a", count: 63), String(repeating: "g", count: 64), ""] {
            let error = refusal { () throws(DomainError) in try CredentialRules.issue(grant, of: request, serial: serial, fingerprint: bad, at: now) }
            #expect(error?.code == .invalidField, "\(bad)")
        }
    }

    @Test("a revocation list names a credential of a revoked request until it expires, and nothing else")
    func mustBeRevoked() throws {
        let approved = try Start.approved.request
        let grant = try CredentialRules.grant(.deployToken, for: approved, to: Cast.alice.name, lifetime: 600, at: Fixture.created.addingTimeInterval(100))
        let credential = try IssuedCredential(
            serial: try #require(CredentialSerial(rawValue: 1)), grant: grant, fingerprint: String(repeating: "0", count: 64),
            issuedAt: Fixture.created.addingTimeInterval(100)
        )
        let revoked = try Start.revoked.request
        #expect(CredentialRules.mustBeRevoked(credential, of: revoked, at: Fixture.created.addingTimeInterval(130)))
        #expect(CredentialRules.mustBeRevoked(credential, of: revoked, at: grant.validBefore.addingTimeInterval(-0.001)))
        #expect(!CredentialRules.mustBeRevoked(credential, of: revoked, at: grant.validBefore))
        #expect(!CredentialRules.mustBeRevoked(credential, of: approved, at: Fixture.created.addingTimeInterval(130)))
        #expect(!CredentialRules.mustBeRevoked(credential, of: try Start.expiredAfterAccess.request, at: Fixture.created.addingTimeInterval(130)))
    }

    @Test("a serial is positive and fits a signed 64-bit column")
    func serials() {
        #expect(CredentialSerial(rawValue: 0) == nil)
        #expect(CredentialSerial(rawValue: 1)?.stored == 1)
        #expect(CredentialSerial(rawValue: UInt64(Int64.max))?.stored == Int64.max)
        #expect(CredentialSerial(rawValue: UInt64(Int64.max) + 1) == nil)
        #expect(CredentialSerial(stored: -1) == nil)
        #expect(CredentialSerial(stored: 0) == nil)
        #expect(CredentialSerial(stored: 42)?.rawValue == 42)
    }
}
