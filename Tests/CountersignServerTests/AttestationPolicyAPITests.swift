import CountersignAPI
import CountersignServer
import Foundation
import CountersignCore
import HTTPTypes
import HummingbirdTesting
import Testing
import WebAuthn
import WebAuthnTesting

@Suite("Enrolment under a policy that restricts authenticators (authenticators.yaml)")
struct AttestationPolicyAPITests {
    static let yubicoRoot = GatewayHarness.repositoryRoot.appendingPathComponent("Tests/WebAuthnTests/Vectors/yubico-u2f-root-ca-457200631.pem")

    /// A copy of the example policies that trusts Yubico's root only.
    static func policiesRequiringYubico() throws -> URL {
        let policies = try GatewayHarness.editablePolicies()
        try FileManager.default.createDirectory(at: policies.appendingPathComponent("roots"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: yubicoRoot, to: policies.appendingPathComponent("roots/yubico.pem"))
        try Data("authenticators:\n  attestation_roots: [roots/yubico.pem]\n".utf8).write(to: policies.appendingPathComponent("authenticators.yaml"))
        return policies
    }

    @Test("with attestation roots required, options ask for direct attestation and a 'none' key is refused (403 attestation_untrusted); once the policy drops them, the same invite enrols it")
    func noneRefusedUntilPolicyChanges() async throws {
        let policies = try Self.policiesRequiringYubico()
        defer { try? FileManager.default.removeItem(at: policies) }
        let harness = try await GatewayHarness.make(policies: policies) { $0.publicURL = "http://localhost:8080" }
        #expect(harness.configuration.attestation == .none, "the gateway's own preference is none: the policy overrides it")
        try await harness.run { api in
            let (carol, erin) = (try await api.login("carol"), try await api.login("erin"))
            let key = SoftwareAuthenticator()
            let invite = try api.decode(InviteView.self, try await api.send(.post, "/v1/admin/invites", body: InviteBody(username: "carol"), token: erin))

            func attempt() async throws -> (options: RegistrationOptionsView, response: TestResponse) {
                let options = try api.decode(RegistrationOptionsView.self, try await api.send(.post, "/v1/keys/registration-options", token: carol))
                let (object, clientData) = key.register(challenge: options.challenge)
                let response = try await api.send(.post, "/v1/keys", body: EnrolKeyBody(
                    ceremonyId: options.ceremonyId, inviteCode: invite.code, name: "desk", credentialId: Base64URL.encode(key.credentialID),
                    attestationObject: Base64URL.encode(object), clientDataJSON: Base64URL.encode(clientData)
                ), token: carol)
                return (options, response)
            }

            let refused = try await attempt()
            #expect(refused.options.attestation == "direct")
            #expect(refused.response.status == .forbidden)
            #expect(try api.errorCode(refused.response) == "attestation_untrusted")
            #expect(try api.decode(KeyListView.self, try await api.send(.get, "/v1/keys", token: carol)).keys.isEmpty)

            // The policy in force at the moment of enrolment decides: without the file, none enrols.
            try FileManager.default.removeItem(at: policies.appendingPathComponent("authenticators.yaml"))
            #expect(await harness.gateway.reloadPolicies())
            let accepted = try await attempt()
            #expect(accepted.options.attestation == "none")
            #expect(accepted.response.status == .created, "\(String(buffer: accepted.response.body))")

            let audit = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?last=50", token: erin))
            let enrolments = audit.events.filter { $0.action == "key.enrolled" }
            #expect(enrolments.count == 1, "the refused attempt enrolled nothing")
            #expect(enrolments.first?.details["attestation"] == "none")
            #expect(enrolments.first?.details["attestation_root"] == nil, "no root vouched for a none key")
            let loads = audit.events.filter { $0.action == "policy.loaded" }.compactMap { $0.details["fingerprint"] }
            #expect(Set(loads).count == 2, "the reload that dropped the roots is audited with a new fingerprint")
        }
    }

    /// A copy of the example policies trusting `authority`'s root for the models in `aaguids`.
    static func policies(trusting authority: TestAttestationAuthority, aaguids: [String]) throws -> URL {
        let policies = try GatewayHarness.editablePolicies()
        try FileManager.default.createDirectory(at: policies.appendingPathComponent("roots"), withIntermediateDirectories: true)
        try Data(authority.rootPEM.utf8).write(to: policies.appendingPathComponent("roots/vendor.pem"))
        let list = aaguids.map { "\"\($0)\"" }.joined(separator: ", ")
        try Data("authenticators:\n  attestation_roots: [roots/vendor.pem]\n  aaguids: [\(list)]\n".utf8)
            .write(to: policies.appendingPathComponent("authenticators.yaml"))
        return policies
    }

    @Test("a key whose attestation chains to the policy's root enrols and the audit names the root; another vendor's key, an unlisted model, or a certificate expired by the gateway's clock is refused")
    func certificateAttestation() async throws {
        let start = ManualClock().now()
        let model: [UInt8] = [0xcb, 0x69, 0x48, 0x1e, 0x8f, 0xf7, 0x40, 0x39, 0x93, 0xec, 0x0a, 0x27, 0x29, 0xa1, 0x54, 0xa8]
        let vendor = try TestAttestationAuthority(rootName: "Vendor Root", aaguid: model, notBefore: start.addingTimeInterval(-86_400), notAfter: start.addingTimeInterval(86_400))
        let impostor = try TestAttestationAuthority(rootName: "Vendor Root", aaguid: model, notBefore: start.addingTimeInterval(-86_400), notAfter: start.addingTimeInterval(86_400))
        let otherModel = try TestAttestationAuthority(rootName: "Vendor Root", aaguid: [UInt8](repeating: 0x22, count: 16), notBefore: start.addingTimeInterval(-86_400), notAfter: start.addingTimeInterval(86_400), rootKey: vendor.rootKey)
        let policies = try Self.policies(trusting: vendor, aaguids: ["cb69481e-8ff7-4039-93ec-0a2729a154a8"])
        defer { try? FileManager.default.removeItem(at: policies) }
        let harness = try await GatewayHarness.make(policies: policies) { $0.publicURL = "http://localhost:8080" }
        try await harness.run { api in
            let (carol, erin) = (try await api.login("carol"), try await api.login("erin"))

            func enrol(_ user: String, token: String, with authority: TestAttestationAuthority, invite: String) async throws -> TestResponse {
                let options = try api.decode(RegistrationOptionsView.self, try await api.send(.post, "/v1/keys/registration-options", token: token))
                #expect(options.attestation == "direct")
                let (credentialID, object, clientData) = try authority.register(challenge: options.challenge)
                return try await api.send(.post, "/v1/keys", body: EnrolKeyBody(
                    ceremonyId: options.ceremonyId, inviteCode: invite, name: "desk", credentialId: Base64URL.encode(credentialID),
                    attestationObject: Base64URL.encode(object), clientDataJSON: Base64URL.encode(clientData)
                ), token: token)
            }
            func invite(_ user: String, admin: String) async throws -> String {
                try api.decode(InviteView.self, try await api.send(.post, "/v1/admin/invites", body: InviteBody(username: user), token: admin)).code
            }

            let carolsInvite = try await invite("carol", admin: erin)
            let forged = try await enrol("carol", token: carol, with: impostor, invite: carolsInvite)
            #expect(forged.status == .forbidden)
            #expect(try api.errorCode(forged) == "attestation_untrusted", "a root of the same name but another key")
            let unlisted = try await enrol("carol", token: carol, with: otherModel, invite: carolsInvite)
            #expect(unlisted.status == .forbidden)
            #expect(try api.errorCode(unlisted) == "authenticator_not_allowed")

            let accepted = try await enrol("carol", token: carol, with: vendor, invite: carolsInvite)
            #expect(accepted.status == .created, "\(String(buffer: accepted.body))")
            #expect(try api.decode(KeyView.self, accepted).attestation == "packed-x5c")
            let audit = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?last=50", token: erin))
            let enrolled = try #require(audit.events.first { $0.action == "key.enrolled" })
            #expect(enrolled.details["attestation_root"] == "CN=Vendor Root,O=\(TestAttestationAuthority.organization),C=SE")
            #expect(enrolled.details["aaguid"] == "cb69481e8ff7403993ec0a2729a154a8")

            // Two days on, by the gateway's clock, the same vendor's certificate has expired.
            harness.clock.advance(by: 2 * 86_400)
            let (dave, admin) = (try await api.login("dave"), try await api.login("erin"))
            let expired = try await enrol("dave", token: dave, with: vendor, invite: try await invite("dave", admin: admin))
            #expect(expired.status == .forbidden)
            #expect(try api.errorCode(expired) == "attestation_untrusted")
        }
    }

    @Test("a policy directory whose authenticators.yaml lists AAGUIDs without roots does not start the gateway")
    func aaguidsWithoutRootsRefusedAtStart() async throws {
        let policies = try GatewayHarness.editablePolicies()
        defer { try? FileManager.default.removeItem(at: policies) }
        try Data("authenticators:\n  aaguids: [cb69481e-8ff7-4039-93ec-0a2729a154a8]\n".utf8).write(to: policies.appendingPathComponent("authenticators.yaml"))
        do {
            _ = try await GatewayHarness.make(policies: policies) { $0.publicURL = "http://localhost:8080" }
            Issue.record("the gateway started on an AAGUID list nothing can prove")
        } catch let error as GatewayBuildError {
            #expect(String(describing: error).contains("authenticators.yaml:2:"))
            #expect(String(describing: error).contains("[missing_key]"))
        }
    }
}
