import CountersignAPI
import Crypto
import CountersignCore
import DeployTokens
import Foundation
import HTTPTypes
import HummingbirdTesting
import JWTKit
import Testing

/// An approved deploy request yields a deploy token that verifies offline against the JWKS the
/// gateway serves, with Countersign's verifier and with jwt-kit's, and nothing else does.
@Suite("Deploy tokens over the API")
struct DeployTokenAPITests {
    static let rollout = DeployTokenExpectation(service: "payments-api", environment: "production", commit: API.commit)

    /// What jwt-kit reads out of a deploy token, with its own claim types.
    struct OracleClaims: JWTPayload {
        let iss: IssuerClaim
        let sub: SubjectClaim
        let aud: AudienceClaim
        let jti: IDClaim
        let exp: ExpirationClaim
        let nbf: NotBeforeClaim
        let iat: IssuedAtClaim
        let requestId: String
        let service: String
        let environment: String
        let commit: String
        let approvers: [DeployTokenApprover]

        enum CodingKeys: String, CodingKey {
            case iss, sub, aud, jti, exp, nbf, iat, service, environment, commit, approvers
            case requestId = "request_id"
        }

        func verify(using algorithm: some JWTAlgorithm) async throws {
            try aud.verifyIntendedAudience(includes: "deploy")
        }
    }

    static func issue(_ api: API, _ id: String, token: String?) async throws -> TestResponse {
        try await api.send(.post, "/v1/requests/\(id)/deploy-token", token: token)
    }

    /// alice's approved payments production deploy, and a token she took for it.
    static func approvedAndIssued(_ api: API) async throws -> (RequestView, DeployTokenView) {
        let alice = try await api.login("alice")
        let request = try await DeployGateAPITests.approvedDeploy(api, alice: alice, bob: try await api.login("bob"), dave: try await api.login("dave"))
        return (request, try api.decode(DeployTokenView.self, try await issue(api, request.id, token: alice)))
    }

    static func keySet(_ api: API) async throws -> (DeployTokenKeySet, String) {
        let response = try await api.send(.get, "/.well-known/jwks.json")
        try #require(response.status == .ok)
        let json = String(buffer: response.body)
        return (try DeployTokenKeySet(parsing: Array(json.utf8)), json)
    }

    @Test("the requester gets a token that both verifiers accept against the served JWKS, naming the rollout, the approvers and the window; its issue is audited")
    func issues() async throws {
        let harness = try await GatewayHarness.make { $0.publicURL = "http://localhost:8443" }
        try await harness.run { api in
            let alice = try await api.login("alice")
            let request = try await DeployGateAPITests.approvedDeploy(api, alice: alice, bob: try await api.login("bob"), dave: try await api.login("dave"))
            let response = try await Self.issue(api, request.id, token: alice)
            #expect(response.status == .created, "\(String(buffer: response.body))")
            #expect(response.headers[.cacheControl] == "no-store")
            let issued = try api.decode(DeployTokenView.self, response)
            #expect(issued.expiresAt == request.accessExpiresAt)

            let jwks = try await api.send(.get, "/.well-known/jwks.json")
            #expect(jwks.headers[.cacheControl] == "public, max-age=300")
            #expect(jwks.headers[.contentType] == "application/json; charset=utf-8")
            let (keys, json) = try await Self.keySet(api)
            #expect(keys.keys.map(\.id) == [issued.kid])

            let now = harness.clock.now()
            let claims = try DeployTokenVerifier(keys: keys).verify(issued.token, expecting: DeployTokenExpectation(
                service: "payments-api", environment: "production", commit: API.commit, issuer: "http://localhost:8443"
            ), at: now)
            #expect(claims.subject == "alice" && claims.requestID == request.id && claims.tokenID == issued.jti && issued.jti == String(issued.serial))
            #expect(claims.approvers == [.init(name: "bob", method: .session), .init(name: "dave", method: .session)])
            #expect(claims.issuedAt == now && claims.notBefore == now.addingTimeInterval(-CredentialRules.clockSkewAllowance))
            #expect(claims.expiresAt == issued.expiresAt)

            let oracle = try await JWTKeyCollection().add(jwksJSON: json).verify(issued.token, as: OracleClaims.self)
            try oracle.exp.verifyNotExpired(currentDate: now)
            try oracle.nbf.verifyNotBefore(currentDate: now)
            #expect(oracle.iss.value == "http://localhost:8443" && oracle.sub.value == "alice" && oracle.jti.value == issued.jti)
            #expect(oracle.service == "payments-api" && oracle.environment == "production" && oracle.commit == API.commit)
            #expect(oracle.requestId == request.id && oracle.approvers.count == 2)

            let second = try api.decode(DeployTokenView.self, try await Self.issue(api, request.id, token: alice))
            #expect(second.serial > issued.serial && second.jti != issued.jti, "each token has a serial and jti of its own")

            let erin = try await api.login("erin")
            let audit = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?limit=1000", token: erin))
            let events = audit.events.filter { $0.action == "credential.issued" && $0.subject == request.id }
            #expect(events.map { $0.details["serial"] } == [String(issued.serial), String(second.serial)])
            #expect(events.allSatisfy { $0.actor == "alice" && $0.details["kind"] == "deploy_token" && $0.details["principal"] == "payments-api" })
            #expect(events.first?.details["fingerprint"] == SHA256.hash(data: Array(issued.token.utf8)).hexString)
            #expect(!audit.events.contains { $0.details.values.contains(issued.token) }, "the token itself is never audited")
        }
    }

    @Test("without a public URL the token's issuer is plain 'countersign'; it still verifies")
    func unnamedIssuer() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let (_, issued) = try await Self.approvedAndIssued(api)
            let claims = try DeployTokenVerifier(keys: try await Self.keySet(api).0).verify(issued.token, expecting: Self.rollout, at: harness.clock.now())
            #expect(claims.issuer == "countersign")
        }
    }

    @Test("a JWKS of another key refuses the token, and so does the served one once a claim is changed or the window has passed")
    func otherKeysAndChangedClaims() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let (request, issued) = try await Self.approvedAndIssued(api)
            let token = issued.token
            let now = harness.clock.now()
            let otherKeys = DeployTokenKeySet(publicKeys: [Curve25519.Signing.PrivateKey().publicKey])
            #expect(Self.refusal { () throws(DeployTokenRefusal) in _ = try DeployTokenVerifier(keys: otherKeys).verify(token, expecting: Self.rollout, at: now) } == .unknownKey)
            let verifier = DeployTokenVerifier(keys: try await Self.keySet(api).0)
            let parts = token.split(separator: ".").map(String.init)
            let payload = String(decoding: Data(base64URL: parts[1]), as: UTF8.self)
            let staging = Data(payload.replacingOccurrences(of: "\"production\"", with: "\"staging\"").utf8).base64URL
            let changed = [parts[0], staging, parts[2]].joined(separator: ".")
            #expect(Self.refusal { () throws(DeployTokenRefusal) in _ = try verifier.verify(changed, expecting: Self.rollout, at: now) } == .badSignature)
            let late = try #require(request.accessExpiresAt).addingTimeInterval(DeployTokenVerifier.leeway)
            #expect(Self.refusal { () throws(DeployTokenRefusal) in _ = try verifier.verify(token, expecting: Self.rollout, at: late) } == .expired)
        }
    }

    static func refusal(_ body: () throws(DeployTokenRefusal) -> Void) -> DeployTokenRefusal.Code? {
        do {
            try body()
            return nil
        } catch {
            return error.code
        }
    }

    @Test("only the requester, only while approved, only for a deploy request; nothing refused is issued")
    func refusals() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let alice = try await api.login("alice")
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let approved = try await DeployGateAPITests.approvedDeploy(api, alice: alice, bob: bob, dave: dave)
            harness.clock.advance(by: 1)
            let revoked = try await DeployGateAPITests.approvedDeploy(api, alice: alice, bob: bob, dave: dave)
            #expect(try await api.act("revoke", revoked.id, token: alice, reason: "Rolled back instead").status == .ok)
            let pending = try await api.filePaymentsDeploy(as: alice)
            let ssh = try await SSHCertificateAPITests.approvedSSH(on: api, bob: bob, dave: dave)
            func attempt(_ id: String, _ token: String?) async throws -> (HTTPResponse.Status, String) {
                let response = try await Self.issue(api, id, token: token)
                return (response.status, try api.errorCode(response))
            }
            #expect(try await attempt(approved.id, dave) == (.forbidden, "forbidden"), "an approver cannot take the requester's token")
            #expect(try await attempt(pending.id, alice) == (.conflict, "invalid_state"))
            #expect(try await attempt(revoked.id, alice) == (.conflict, "invalid_state"))
            #expect(try await attempt(ssh.id, bob) == (.conflict, "invalid_state"), "an SSH request yields a certificate, not a token")
            #expect(try await attempt("0123456789abcdefghjk", alice) == (.notFound, "not_found"))
            #expect(try await attempt(approved.id, nil).0 == .unauthorized)
            harness.clock.advance(by: try #require(approved.accessExpiresAt).timeIntervalSince(harness.clock.now()))
            #expect(try await attempt(approved.id, alice) == (.conflict, "request_expired"), "the window has ended")

            let erin = try await api.login("erin")
            let audit = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?limit=1000", token: erin))
            #expect(!audit.events.contains { $0.action == "credential.issued" }, "no refused attempt issued anything")
        }
    }
}

private extension Data {
    init(base64URL text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self = Data(base64Encoded: base64) ?? Data()
    }

    var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
