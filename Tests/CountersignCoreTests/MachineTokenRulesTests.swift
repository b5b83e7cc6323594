import Foundation
import Testing
@testable import CountersignCore

/// One presentation of a token: a token made as `draft` describes, perhaps revoked, asked for
/// `scope` and `service` `offset` seconds after it was made.
struct AuthorisationCase: Sendable, CustomTestStringConvertible {
    let testDescription: String
    let scopes: [String]
    let services: [String]
    let revokedAfter: TimeInterval?
    let scope: MachineScope
    let service: String
    let offset: TimeInterval
    let refusal: MachineTokenRefusal.Code?

    init(
        _ description: String, scopes: [String] = ["deploy:check"], services: [String] = [], revokedAfter: TimeInterval? = nil,
        asking scope: MachineScope = .deployCheck, for service: String = "payments-api", at offset: TimeInterval = 60,
        _ refusal: MachineTokenRefusal.Code?
    ) {
        self.testDescription = description
        self.scopes = scopes
        self.services = services
        self.revokedAfter = revokedAfter
        self.scope = scope
        self.service = service
        self.offset = offset
        self.refusal = refusal
    }
}

@Suite("Machine token rules")
struct MachineTokenRulesTests {
    static let hash = [UInt8](repeating: 7, count: 32)
    static let lifetime = MachineTokenDraft.defaultLifetime

    static func made(_ draft: MachineTokenDraft, at now: Date = Fixture.created) throws -> MachineToken {
        try MachineTokenRules.create(draft, secretHash: hash, by: Cast.erin, at: now).token
    }

    static let authorisations: [AuthorisationCase] = [
        AuthorisationCase("a token with the scope may act for any service when it names none", nil),
        AuthorisationCase("a token acts for a service its pattern matches", services: ["payments-*"], nil),
        AuthorisationCase("any of several patterns will do", services: ["web", "payments-?pi"], nil),
        AuthorisationCase("a service outside its patterns is refused", services: ["payments-*"], for: "web", .serviceOutside),
        AuthorisationCase("a pattern must match the whole name", services: ["payments"], for: "payments-api", .serviceOutside),
        AuthorisationCase("a set in a pattern is honoured", services: ["web-[0-9]"], for: "web-7", nil),
        AuthorisationCase("deploy:check does not grant deploy:consume", asking: .deployConsume, .missingScope),
        AuthorisationCase("a token may hold both scopes", scopes: ["deploy:check", "deploy:consume"], asking: .deployConsume, nil),
        AuthorisationCase("deploy:consume alone does not grant deploy:check", scopes: ["deploy:consume"], .missingScope),
        AuthorisationCase("a millisecond before expiry the token still works", at: lifetime - 0.001, nil),
        AuthorisationCase("at its expiry the token is refused", at: lifetime, .expired),
        AuthorisationCase("long after its expiry it is refused", at: lifetime * 2, .expired),
        AuthorisationCase("once revoked it is refused at once", revokedAfter: 30, at: 30, .revoked),
        AuthorisationCase("a revocation is reported before an expiry", revokedAfter: 30, at: lifetime + 1, .revoked),
        AuthorisationCase("a revocation holds whatever another clock says (a gateway whose clock lags)", revokedAfter: 30, at: 29, .revoked),
        AuthorisationCase("a revoked token is refused even for a scope it never held", revokedAfter: 1, asking: .deployConsume, .revoked),
        AuthorisationCase("an expired token is refused before its scope is judged", asking: .deployConsume, at: lifetime, .expired),
        AuthorisationCase("a missing scope is reported before a service outside", services: ["web"], asking: .deployConsume, .missingScope),
    ]

    @Test("whether a token may act, judged at the time asked", arguments: authorisations)
    func authorisation(_ example: AuthorisationCase) throws {
        let clock = ManualClock(Fixture.created)
        var token = try Self.made(try MachineTokenDraft(name: "ci-payments", scopes: example.scopes, services: example.services), at: clock.now())
        if let revokedAfter = example.revokedAfter {
            clock.advance(by: revokedAfter)
            token = try MachineTokenRules.revoke(token, by: Cast.erin, at: clock.now()).token
            clock.set(Fixture.created)
        }
        clock.advance(by: example.offset)
        do {
            try MachineTokenRules.authorise(token, for: example.scope, service: example.service, at: clock.now())
            #expect(example.refusal == nil, "authorised")
        } catch {
            #expect(error.code == example.refusal, "\(error.message)")
            #expect(!error.message.isEmpty)
        }
    }

    static let drafts: [(String, name: String, scopes: [String], services: [String], lifetime: TimeInterval?, refused: Bool)] = [
        ("the shortest draft: a name and a scope", "ci-payments", ["deploy:check"], [], nil, false),
        ("names take dots, underscores and digits", "ci.payments_2", ["deploy:check"], [], nil, false),
        ("an upper-case name is refused", "CI-payments", ["deploy:check"], [], nil, true),
        ("a name with a colon is refused (it would read as an actor prefix)", "machine:ci", ["deploy:check"], [], nil, true),
        ("a name with a space is refused", "ci payments", ["deploy:check"], [], nil, true),
        ("an empty name is refused", "", ["deploy:check"], [], nil, true),
        ("a name of 65 characters is refused", String(repeating: "a", count: 65), ["deploy:check"], [], nil, true),
        ("no scope is refused", "ci", [], [], nil, true),
        ("an unknown scope is refused", "ci", ["deploy:everything"], [], nil, true),
        ("a scope spelled in upper case is unknown", "ci", ["DEPLOY:CHECK"], [], nil, true),
        ("a scope listed twice is refused", "ci", ["deploy:check", "deploy:check"], [], nil, true),
        ("more scopes than there are is refused", "ci", ["deploy:check", "deploy:consume", "deploy:check"], [], nil, true),
        ("both scopes", "ci", ["deploy:consume", "deploy:check"], [], nil, false),
        ("a service pattern with a set", "ci", ["deploy:check"], ["payments-[a-z]*"], nil, false),
        ("a pattern no service name can match is refused", "ci", ["deploy:check"], ["Payments-*"], nil, true),
        ("a set bound no service name holds is refused", "ci", ["deploy:check"], ["web-[A-Z]"], nil, true),
        ("a malformed pattern is refused", "ci", ["deploy:check"], ["payments-[a"], nil, true),
        ("an empty pattern is refused", "ci", ["deploy:check"], [""], nil, true),
        ("a pattern past 128 characters is refused", "ci", ["deploy:check"], [String(repeating: "a", count: 129)], nil, true),
        ("a pattern listed twice is refused", "ci", ["deploy:check"], ["web", "web"], nil, true),
        ("sixteen patterns are allowed", "ci", ["deploy:check"], (0..<16).map { "web-\($0)" }, nil, false),
        ("seventeen are refused", "ci", ["deploy:check"], (0..<17).map { "web-\($0)" }, nil, true),
        ("a year is the longest lifetime", "ci", ["deploy:check"], [], 365 * 24 * 3600, false),
        ("a second past a year is refused", "ci", ["deploy:check"], [], 365 * 24 * 3600 + 1, true),
        ("a minute is the shortest lifetime", "ci", ["deploy:check"], [], 60, false),
        ("less than a minute is refused", "ci", ["deploy:check"], [], 59, true),
        ("a lifetime of nothing is refused", "ci", ["deploy:check"], [], 0, true),
        ("a negative lifetime is refused", "ci", ["deploy:check"], [], -3600, true),
    ]

    @Test("a draft is held to its bounds")
    func draftBounds() {
        for (description, name, scopes, services, lifetime, refused) in Self.drafts {
            let error = refusal { () throws(DomainError) in try MachineTokenDraft(name: name, scopes: scopes, services: services, lifetime: lifetime) }
            #expect((error != nil) == refused, "\(description): \(error?.message ?? "accepted")")
            #expect(error == nil || error?.code == .invalidField, "\(description)")
        }
    }

    @Test("without a lifetime a token lives 90 days from the clock's now")
    func defaultLifetime() throws {
        let clock = ManualClock(Fixture.created)
        clock.advance(by: 12.3456)
        let token = try Self.made(try MachineTokenDraft(name: "ci", scopes: ["deploy:check"]), at: clock.now())
        #expect(token.createdAt == clock.now().truncatedToMilliseconds)
        #expect(token.expiresAt == clock.now().addingTimeInterval(90 * 24 * 3600).truncatedToMilliseconds)
        #expect(token.createdBy == Cast.erin.name && token.revocation == nil)
    }

    @Test("only admins make or revoke tokens")
    func onlyAdmins() throws {
        let draft = try MachineTokenDraft(name: "ci", scopes: ["deploy:check"])
        for actor in [Cast.alice, Cast.audrey, Cast.nobody] {
            #expect(refusal { () throws(DomainError) in try MachineTokenRules.create(draft, secretHash: Self.hash, by: actor, at: Fixture.created) }?.code == .forbidden)
        }
        let token = try Self.made(draft)
        #expect(refusal { () throws(DomainError) in try MachineTokenRules.revoke(token, by: Cast.bob, at: Fixture.created) }?.code == .forbidden)
    }

    @Test("making a token records what it may do, under its machine actor name, and never its secret or hash")
    func creationEvent() throws {
        let secret = MachineTokenSecret.generate()
        let draft = try MachineTokenDraft(name: "ci-payments", scopes: ["deploy:consume", "deploy:check"], services: ["payments-*", "web"])
        let change = try MachineTokenRules.create(draft, secretHash: secret.hash, by: Cast.erin, at: Fixture.created)
        let event = try #require(change.events.first)
        #expect(change.events.count == 1)
        #expect(event.action == .machineTokenCreated && event.actor == "erin" && event.subject == "machine:ci-payments")
        #expect(event.details == [
            "scopes": "deploy:check,deploy:consume", "services": "payments-*,web",
            "expires_at": String(change.token.expiresAt.millisecondsSinceEpoch),
        ])
        let recorded = ([event.actor, event.subject] + event.details.keys + event.details.values).joined(separator: " ")
        #expect(!recorded.contains(secret.revealed) && !recorded.contains(String(secret.revealed.dropFirst(4).prefix(16))))
        #expect(!recorded.contains(secret.hash.hexString))
        let unrestricted = try MachineTokenRules.create(
            try MachineTokenDraft(name: "ci", scopes: ["deploy:check"]), secretHash: Self.hash, by: Cast.erin, at: Fixture.created
        )
        #expect(unrestricted.events.first?.details["services"] == MachineTokenRules.anyService)
    }

    @Test("a revocation is recorded once; revoking again changes nothing and records nothing")
    func revocationIsIdempotent() throws {
        let clock = ManualClock(Fixture.created)
        let token = try Self.made(try MachineTokenDraft(name: "ci", scopes: ["deploy:check"]))
        clock.advance(by: 600)
        let first = try MachineTokenRules.revoke(token, by: Cast.erin, at: clock.now())
        #expect(first.token.revocation == MachineToken.Revocation(at: clock.now(), by: Cast.erin.name))
        #expect(first.events.map(\.action) == [.machineTokenRevoked])
        #expect(first.events.first?.subject == "machine:ci" && first.events.first?.actor == "erin")
        clock.advance(by: 600)
        let admin = Actor(name: user("root"), groups: [WellKnownGroup.admins])
        let second = try MachineTokenRules.revoke(first.token, by: admin, at: clock.now())
        #expect(second.token == first.token && second.events.isEmpty)
    }

    @Test("a machine actor name can never be a username")
    func actorNames() throws {
        let name = try MachineTokenName("ci-payments")
        #expect(name.auditActor == "machine:ci-payments")
        #expect(!Username.isValid(name.auditActor))
        #expect(!Username.isValid(MachineTokenName.actorPrefix + "a"))
    }

    @Test("a stored token's shape is checked whoever builds it")
    func tokenInvariants() throws {
        let name = try MachineTokenName("ci")
        let build = { (hash: [UInt8], scopes: Set<MachineScope>, expiresAt: Date) in
            refusal { () throws(DomainError) in
                try MachineToken(name: name, secretHash: hash, scopes: scopes, services: [], createdBy: Cast.erin.name,
                                 createdAt: Fixture.created, expiresAt: expiresAt)
            }
        }
        let later = Fixture.created.addingTimeInterval(60)
        #expect(build(Self.hash, [.deployCheck], later) == nil)
        #expect(build([1, 2, 3], [.deployCheck], later)?.code == .invalidField)
        #expect(build(Self.hash, [], later)?.code == .invalidField)
        #expect(build(Self.hash, [.deployCheck], Fixture.created)?.code == .invalidField)
    }
}

@Suite("Machine token secrets")
struct MachineTokenSecretTests {
    @Test("a secret is csm_ and 32 random bytes in base64url, and parses back")
    func shape() throws {
        var generator = SplitMix64(seed: 42)
        let secret = MachineTokenSecret.generate(using: &generator)
        #expect(secret.revealed.hasPrefix("csm_") && secret.revealed.utf8.count == 47)
        let encoded = String(secret.revealed.dropFirst(4))
        let padded = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "="
        #expect(Data(base64Encoded: padded)?.count == 32)
        let parsed = try #require(MachineTokenSecret(secret.revealed))
        #expect(parsed.hash == secret.hash && secret.hash.count == 32)
        #expect(MachineTokenSecret.generate().revealed != MachineTokenSecret.generate().revealed)
    }

    @Test("anything but that exact shape is refused before any lookup")
    func garbled() {
        let good = MachineTokenSecret.generate().revealed
        let body = String(good.dropFirst(4))
        let short = String(good.dropLast())
        let garbled: [String] = [
            "", "csm_", "cs1_" + body, "CSM_" + body, short, good + "A", " " + good, good.uppercased(),
            short + "=", short + "+", short + "/", short + "é", short + "\0",
            String(repeating: "A", count: 47), "csm_" + String(repeating: "A", count: 10_000),
        ]
        for text in garbled {
            #expect(MachineTokenSecret(text) == nil, "\(String(text.prefix(60)).debugDescription)")
        }
    }

    @Test("printing a secret withholds it")
    func withheld() {
        let secret = MachineTokenSecret.generate()
        for printed in ["\(secret)", String(describing: secret), String(reflecting: secret), "\([secret])"] {
            #expect(!printed.contains(secret.revealed.dropFirst(4).prefix(8)), "\(printed)")
        }
    }
}
