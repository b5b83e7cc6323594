import CountersignAPI
import DeployTokens
import Foundation
import HTTPTypes
import JWTKit
import Testing

/// An admin rotates the deploy token key as the SSH CA's is rotated: the next key is in the JWKS at
/// once, signs from the switch, and the old one stays in the JWKS while tokens it signed may live.
@Suite("Deploy token key rotation over the API")
struct DeployTokenRotationAPITests {
    static let rotate = "/v1/admin/deploy-tokens/keys/rotate"
    static let day: TimeInterval = 24 * 3600

    static func rotated(_ api: API, switchAfter seconds: Int?, token: String) async throws -> DeployTokenKeyRotationView {
        let response = try await api.send(.post, rotate, body: DeployTokenKeyRotationBody(switchAfterSeconds: seconds), token: token)
        try #require(response.status == .created, "rotating answered \(response.status): \(String(buffer: response.body))")
        return try api.decode(DeployTokenKeyRotationView.self, response)
    }

    static func kids(_ api: API) async throws -> [String] {
        try await DeployTokenAPITests.keySet(api).0.keys.map(\.id)
    }

    static func verify(_ token: String, _ api: API, at now: Date) async throws -> DeployTokenClaims {
        try DeployTokenVerifier(keys: try await DeployTokenAPITests.keySet(api).0).verify(token, expecting: DeployTokenAPITests.rollout, at: now)
    }

    @Test("an admin's rotation answers both keys with the switch and the old key's retirement, and the JWKS lists both kids at once")
    func publishesBoth() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let (_, issued) = try await DeployTokenAPITests.approvedAndIssued(api)
            #expect(try await Self.kids(api) == [issued.kid])
            let erin = try await api.login("erin")
            let keys = try await Self.rotated(api, switchAfter: 600, token: erin).keys
            let switchAt = harness.clock.now().addingTimeInterval(600)
            #expect(keys.map(\.generation) == [1, 2])
            #expect(keys[0].kid == issued.kid && keys[0].signsFrom == nil && keys[0].retiresAt == switchAt.addingTimeInterval(Self.day))
            #expect(keys[1].kid != issued.kid && keys[1].signsFrom == switchAt && keys[1].retiresAt == nil)
            #expect(try await Self.kids(api) == keys.map(\.kid), "the next key is published before it signs, oldest first")
            let caPub = String(buffer: try await api.send(.get, "/v1/ssh/ca.pub").body)
            #expect(caPub.split(separator: "\n").count == 1, "the SSH CA's key is a key of its own, not rotated with the token key")
        }
    }

    @Test("absent or null switch_after_seconds switches a day later; out of range is 400 and changes nothing")
    func switchAfterBounds() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let erin = try await api.login("erin")
            let before = try await Self.kids(api)
            for bad in [-1, 30 * 24 * 3600 + 1, Int.max] {
                let refused = try await api.send(.post, Self.rotate, body: DeployTokenKeyRotationBody(switchAfterSeconds: bad), token: erin)
                #expect(try refused.status == .badRequest && api.errorCode(refused) == "invalid_field", "switch_after_seconds \(bad)")
            }
            #expect(try await Self.kids(api) == before)
            let defaulted = try await api.raw(.post, Self.rotate, bytes: Array(#"{"switch_after_seconds":null}"#.utf8), token: erin)
            #expect(defaulted.status == .created, "\(String(buffer: defaulted.body))")
            let keys = try api.decode(DeployTokenKeyRotationView.self, defaulted).keys
            #expect(keys.last?.signsFrom == harness.clock.now().addingTimeInterval(Self.day))
        }
    }

    @Test("tokens are signed by the current kid until the switch and by the next kid from it; both verifiers accept each against the JWKS")
    func signerFollowsTheSwitch() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let alice = try await api.login("alice")
            let (request, first) = try await DeployTokenAPITests.approvedAndIssued(api)
            let keys = try await Self.rotated(api, switchAfter: 600, token: try await api.login("erin")).keys
            func take() async throws -> DeployTokenView {
                try api.decode(DeployTokenView.self, try await DeployTokenAPITests.issue(api, request.id, token: alice))
            }
            harness.clock.advance(by: 599)
            let beforeSwitch = try await take()
            #expect(beforeSwitch.kid == keys[0].kid && first.kid == keys[0].kid, "the current key signs until the switch")
            harness.clock.advance(by: 1)
            let atSwitch = try await take()
            #expect(atSwitch.kid == keys[1].kid, "the next key signs from the switch")
            _ = try await Self.verify(atSwitch.token, api, at: harness.clock.now())
            let json = try await DeployTokenAPITests.keySet(api).1
            let oracle = try await JWTKeyCollection().add(jwksJSON: json).verify(atSwitch.token, as: DeployTokenAPITests.OracleClaims.self)
            #expect(oracle.jti.value == atSwitch.jti)
        }
    }

    @Test("a token signed before the switch verifies against the JWKS after it while the old key is published; the old kid drops out when it retires")
    func oldTokensOutliveTheSwitch() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let (request, old) = try await DeployTokenAPITests.approvedAndIssued(api)
            let keys = try await Self.rotated(api, switchAfter: 600, token: try await api.login("erin")).keys
            try #require(try #require(request.accessExpiresAt) > harness.clock.now().addingTimeInterval(600), "the token outlives the switch")
            harness.clock.advance(by: 600)
            let claims = try await Self.verify(old.token, api, at: harness.clock.now())
            #expect(claims.tokenID == old.jti && old.kid == keys[0].kid)

            let retiresAt = try #require(keys[0].retiresAt)
            harness.clock.advance(by: retiresAt.timeIntervalSince(harness.clock.now()) - 1)
            #expect(try await Self.kids(api) == keys.map(\.kid), "listed until the longest token it signed has expired")
            harness.clock.advance(by: 1)
            #expect(try await Self.kids(api) == [keys[1].kid])
            let refusal = try await DeployTokenAPITests.keySet(api).0
            #expect(DeployTokenAPITests.refusal { () throws(DeployTokenRefusal) in
                _ = try DeployTokenVerifier(keys: refusal).verify(old.token, expecting: DeployTokenAPITests.rollout, at: harness.clock.now())
            } == .unknownKey)
        }
    }

    @Test("only admins: a person outside the admins group is 403 forbidden, a machine token 403 machine_token_refused, no token 401; none changes the JWKS")
    func onlyAdmins() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let erin = try await api.login("erin")
            let before = try await Self.kids(api)
            let body = DeployTokenKeyRotationBody(switchAfterSeconds: 0)
            for user in ["alice", "bob", "dave"] {
                let refused = try await api.send(.post, Self.rotate, body: body, token: try await api.login(user))
                #expect(try refused.status == .forbidden && api.errorCode(refused) == "forbidden", "\(user)")
            }
            let machine = try await MachineTokenAPITests.create(on: api, as: erin).secret
            let refused = try await api.send(.post, Self.rotate, body: body, token: machine)
            #expect(try refused.status == .forbidden && api.errorCode(refused) == APIErrorCode.machineTokenRefused)
            #expect(try await api.send(.post, Self.rotate, body: body).status == .unauthorized)
            #expect(try await Self.kids(api) == before)
            let audit = try await MachineTokenAPITests.auditText(on: api, as: erin)
            #expect(!audit.contains("key.rotation_scheduled"), "nothing refused was audited as scheduled")
        }
    }

    @Test("a second rotation while one is pending is 409 rotation_pending and leaves the first; after the switch another is taken")
    func oneAtATime() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let erin = try await api.login("erin")
            let first = try await Self.rotated(api, switchAfter: 600, token: erin).keys
            let again = try await api.send(.post, Self.rotate, body: DeployTokenKeyRotationBody(switchAfterSeconds: 0), token: erin)
            #expect(try again.status == .conflict && api.errorCode(again) == "rotation_pending")
            #expect(try await Self.kids(api) == first.map(\.kid))
            harness.clock.advance(by: 600)
            let third = try await Self.rotated(api, switchAfter: 0, token: try await api.login("erin")).keys
            #expect(third.map(\.generation) == [1, 2, 3] && Array(third.prefix(2).map(\.kid)) == first.map(\.kid))
        }
    }

    @Test("the rotation is audited as key.rotation_scheduled by the admin, naming both kids, the switch and the old key's retirement")
    func audited() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let erin = try await api.login("erin")
            let keys = try await Self.rotated(api, switchAfter: 600, token: erin).keys
            let audit = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?limit=1000", token: erin))
            let scheduled = audit.events.filter { $0.action == "key.rotation_scheduled" }
            try #require(scheduled.count == 1)
            let event = scheduled[0]
            #expect(event.actor == "erin" && event.subject == "deploy-token-signing")
            #expect(event.details["current_generation"] == "1" && event.details["current_fingerprint"] == keys[0].kid)
            #expect(event.details["next_generation"] == "2" && event.details["next_fingerprint"] == keys[1].kid)
            let milliseconds = { (date: Date?) in date.map { String(Int64(($0.timeIntervalSince1970 * 1000).rounded(.down))) } }
            #expect(event.details["switch_at"] == milliseconds(keys[1].signsFrom))
            #expect(event.details["current_retires_at"] == milliseconds(keys[0].retiresAt))
        }
    }

    @Test("a distrusted key leaves the JWKS at once, its tokens stop verifying, and the next key signs from now")
    func distrust() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let (request, issued) = try await DeployTokenAPITests.approvedAndIssued(api)
            let alice = try await api.login("alice")
            let erin = try await api.login("erin")
            let refused = try await api.send(.post, "/v1/admin/deploy-tokens/keys/distrust", token: alice)
            #expect(try refused.status == .forbidden && api.errorCode(refused) == "forbidden")
            #expect(try await Self.kids(api) == [issued.kid], "the refusal changed nothing")

            harness.clock.advance(by: 1)
            let response = try await api.send(.post, "/v1/admin/deploy-tokens/keys/distrust", token: erin)
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let keys = try api.decode(DeployTokenKeyRotationView.self, response).keys
            #expect(keys.map(\.generation) == [2] && keys[0].kid != issued.kid)
            #expect(try await Self.kids(api) == [keys[0].kid], "the compromised kid is gone from the JWKS")
            await #expect(throws: DeployTokenRefusal.self, "a token it signed no longer verifies") {
                _ = try await Self.verify(issued.token, api, at: harness.clock.now())
            }
            let fresh = try api.decode(DeployTokenView.self, try await api.send(.post, "/v1/requests/\(request.id)/deploy-token", token: alice))
            #expect(fresh.kid == keys[0].kid, "the next key signs at once")
            #expect(try await Self.verify(fresh.token, api, at: harness.clock.now()).requestID == request.id)
            let audit = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?limit=1000", token: erin)).events
            let event = try #require(audit.last { $0.action == "key.distrusted" })
            #expect(event.details["distrusted_fingerprint"] == issued.kid && event.details["signing_fingerprint"] == keys[0].kid)
        }
    }
}
