import CountersignAPI
import CountersignSSH
import Crypto
import Foundation
import HTTPTypes
import NIOSSH
import Testing
import TestSupport

/// An approved SSH request yields an OpenSSH certificate for the approved login, held to
/// swift-nio-ssh's validation and ssh-keygen, and revoked through the KRL the moment the request is.
@Suite("SSH certificates over the API")
struct SSHCertificateAPITests {
    /// bob asks for production SSH as deploy for 30 minutes; dave (sre) approves with a session.
    static func approvedSSH(on api: API, bob: String, dave: String, host: String = "web-3.prod.internal") async throws -> RequestView {
        let response = try await api.send(.post, "/v1/requests", body: CreateRequestBody(
            kind: "ssh", host: host, login: "deploy", durationSeconds: 1800,
            reason: "Restart the stuck worker", ticket: "INC-77"
        ), token: bob)
        try #require(response.status == .created, "filing answered \(response.status): \(String(buffer: response.body))")
        let filed = try api.decode(RequestView.self, response)
        let approved = try await api.act("approve", filed.id, token: dave)
        try #require(approved.status == .ok, "approval answered \(approved.status): \(String(buffer: approved.body))")
        return try api.decode(RequestView.self, approved)
    }

    static func publicKeyLine(_ key: Curve25519.Signing.PrivateKey = Curve25519.Signing.PrivateKey()) -> String {
        SSHEd25519PublicKey(key.publicKey).authorizedKeysLine(comment: "bob@laptop")
    }

    @Test("the requester gets a certificate for the approved login only, signed by the CA the gateway publishes, audited")
    func issues() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let request = try await Self.approvedSSH(on: api, bob: bob, dave: dave)
            let response = try await api.send(.post, "/v1/requests/\(request.id)/ssh-certificate", body: SSHCertificateBody(publicKey: Self.publicKeyLine()), token: bob)
            #expect(response.status == .created, "\(String(buffer: response.body))")
            let issued = try api.decode(SSHCertificateView.self, response)
            #expect(issued.principals == ["deploy"])
            #expect(issued.keyId == "countersign:\(request.id):bob")
            #expect(issued.validBefore <= request.accessExpiresAt ?? .distantPast)
            #expect(issued.validAfter == Date(timeIntervalSince1970: (harness.clock.now().timeIntervalSince1970 - 60).rounded(.down)))

            let caResponse = try await api.send(.get, "/v1/ssh/ca.pub")
            #expect(caResponse.status == .ok)
            #expect(caResponse.headers[.contentType] == "text/plain; charset=utf-8")
            let caLine = String(buffer: caResponse.body).trimmingCharacters(in: .newlines)
            let authority = try NIOSSHPublicKey(openSSHPublicKey: caLine)
            #expect(issued.certificateAuthority == (try SSHEd25519PublicKey(authorizedKeysLine: caLine)).fingerprint)
            let certificate = try #require(NIOSSHCertifiedPublicKey(try NIOSSHPublicKey(openSSHPublicKey: issued.certificate)))
            #expect(certificate.serial == issued.serial && certificate.keyID == issued.keyId && certificate.type == .user)
            #expect(certificate.validPrincipals == ["deploy"])
            #expect(certificate.extensions == ["permit-pty": ""])
            #expect(certificate.signatureKey == authority)

            let second = try api.decode(SSHCertificateView.self, try await api.send(
                .post, "/v1/requests/\(request.id)/ssh-certificate", body: SSHCertificateBody(publicKey: Self.publicKeyLine()), token: bob
            ))
            #expect(second.serial > issued.serial, "one certificate per connection, each with a serial of its own")

            let erin = try await api.login("erin")
            let audit = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?limit=1000", token: erin))
            let issuedEvents = audit.events.filter { $0.action == "credential.issued" && $0.subject == request.id }
            #expect(issuedEvents.map { $0.details["serial"] } == [String(issued.serial), String(second.serial)])
            #expect(issuedEvents.allSatisfy { $0.actor == "bob" && $0.details["principal"] == "deploy" })
        }
    }

    @Test("revoking the request puts every certificate it yielded in the KRL at once, as ssh-keygen -Q reads it")
    func revocation() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let revoked = try await Self.approvedSSH(on: api, bob: bob, dave: dave)
            let kept = try await Self.approvedSSH(on: api, bob: bob, dave: dave)
            var certificates: [(String, SSHCertificateView)] = []
            for request in [revoked, revoked, kept] {
                let response = try await api.send(.post, "/v1/requests/\(request.id)/ssh-certificate", body: SSHCertificateBody(publicKey: Self.publicKeyLine()), token: bob)
                certificates.append((request.id, try api.decode(SSHCertificateView.self, response)))
            }
            let before = try await api.send(.get, "/v1/ssh/krl")
            #expect(before.status == .ok && before.headers[.contentType] == "application/octet-stream")
            #expect(try await api.act("revoke", revoked.id, token: bob, reason: "Worker restarted").status == .ok)
            let after = try await api.send(.get, "/v1/ssh/krl")
            try await OpenSSHTool.withScratch { tool throws in
                let emptyList = try tool.write("before.krl", Array(buffer: before.body))
                let list = try tool.write("after.krl", Array(buffer: after.body))
                for (index, (requestID, certificate)) in certificates.enumerated() {
                    let path = try tool.write("cert-\(index).pub", certificate.certificate)
                    let earlier = try await tool.keygen(["-Q", "-f", emptyList, path])
                    #expect(earlier.status == 0, "\(earlier.output)")
                    let now = try await tool.keygen(["-Q", "-f", list, path])
                    #expect(now.output.contains("REVOKED") == (requestID == revoked.id), "\(now.output)")
                }
            }
            let late = try await api.send(.post, "/v1/requests/\(revoked.id)/ssh-certificate", body: SSHCertificateBody(publicKey: Self.publicKeyLine()), token: bob)
            #expect(late.status == .conflict)
            #expect(try api.errorCode(late) == "invalid_state")
        }
    }

    @Test("only the requester, only while approved, only for an SSH request, only for one real Ed25519 key")
    func refusals() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let alice = try await api.login("alice")
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let approved = try await Self.approvedSSH(on: api, bob: bob, dave: dave)
            let pending = try api.decode(RequestView.self, try await api.send(.post, "/v1/requests", body: CreateRequestBody(
                kind: "ssh", host: "web-4.prod.internal", login: "deploy", durationSeconds: 600, reason: "Look at the logs", ticket: "INC-78"
            ), token: bob))
            let deploy = try await api.filePaymentsDeploy(as: alice)
            _ = try await api.act("approve", deploy.id, token: bob)
            _ = try await api.act("approve", deploy.id, token: dave)
            let key = SSHCertificateBody(publicKey: Self.publicKeyLine())
            func attempt(_ id: String, _ token: String, _ body: SSHCertificateBody = key) async throws -> (HTTPResponse.Status, String) {
                let response = try await api.send(.post, "/v1/requests/\(id)/ssh-certificate", body: body, token: token)
                return (response.status, try api.errorCode(response))
            }
            #expect(try await attempt(approved.id, dave) == (.forbidden, "forbidden"), "the approver cannot take the requester's access")
            #expect(try await attempt(approved.id, alice) == (.notFound, "not_found"), "nor can someone who may not see the request")
            #expect(try await attempt(pending.id, bob) == (.conflict, "invalid_state"))
            #expect(try await attempt(deploy.id, alice) == (.conflict, "invalid_state"), "a deploy request yields a token, not a certificate")
            #expect(try await attempt("0123456789abcdefghjk", bob) == (.notFound, "not_found"))
            let rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 bob@laptop"
            for bad in [rsa, "", "ssh-ed25519", "ssh-ed25519 AAAA!!!!", String(repeating: "a", count: 5000), Self.publicKeyLine() + "\nssh-ed25519 AAAA"] {
                #expect(try await attempt(approved.id, bob, SSHCertificateBody(publicKey: bad)) == (.badRequest, "invalid_field"), "\(bad.prefix(40))")
            }
            let unauthenticated = try await api.send(.post, "/v1/requests/\(approved.id)/ssh-certificate", body: key)
            #expect(unauthenticated.status == .unauthorized)

            harness.clock.advance(by: 1800)
            #expect(try await attempt(approved.id, bob) == (.conflict, "request_expired"), "the window has ended")

            let erin = try await api.login("erin")
            let audit = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?limit=1000", token: erin))
            #expect(!audit.events.contains { $0.action == "credential.issued" }, "no refused attempt issued anything")
        }
    }

    @Test("the rule's certificate terms are shown to reviewers, written into every certificate and audited")
    func certificateTerms() async throws {
        let harness = try await GatewayHarness.make(policies: try GatewayHarness.certificateTermsPolicies())
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let plain = try await Self.approvedSSH(on: api, bob: bob, dave: dave)
            #expect(plain.certificate == CertificateTermsView(lifetimeSeconds: 3600, sourceAddress: [], forceCommand: nil, forwarding: [], recording: "off"))
            let forced = try await Self.approvedSSH(on: api, bob: bob, dave: dave, host: "forced-2.prod.internal")
            #expect(forced.certificate == CertificateTermsView(
                lifetimeSeconds: 600, sourceAddress: [], forceCommand: "echo forced-by-policy", forwarding: ["port_forwarding"], recording: "off"
            ))
            let fenced = try await Self.approvedSSH(on: api, bob: bob, dave: dave, host: "fenced-2.prod.internal")
            #expect(fenced.certificate?.sourceAddress == ["192.0.2.0/24", "2001:db8::/32"])

            func certificate(_ request: RequestView) async throws -> (SSHCertificateView, NIOSSHCertifiedPublicKey) {
                let response = try await api.send(
                    .post, "/v1/requests/\(request.id)/ssh-certificate", body: SSHCertificateBody(publicKey: Self.publicKeyLine()), token: bob
                )
                try #require(response.status == .created, "\(String(buffer: response.body))")
                let view = try api.decode(SSHCertificateView.self, response)
                return (view, try #require(NIOSSHCertifiedPublicKey(try NIOSSHPublicKey(openSSHPublicKey: view.certificate))))
            }
            let (plainView, plainCertificate) = try await certificate(plain)
            #expect(plainCertificate.criticalOptions.isEmpty && plainCertificate.extensions == ["permit-pty": ""])
            #expect(plainView.validBefore.timeIntervalSince(plainView.validAfter) == 60 + 1800, "the 30-minute window ends before the hour")
            let (forcedView, forcedCertificate) = try await certificate(forced)
            #expect(forcedCertificate.criticalOptions == ["force-command": "echo forced-by-policy"])
            #expect(forcedCertificate.extensions == ["permit-pty": "", "permit-port-forwarding": ""])
            #expect(forcedView.validBefore.timeIntervalSince(forcedView.validAfter) == 60 + 600, "the rule's 10 minutes, not the window's 30")
            let (_, fencedCertificate) = try await certificate(fenced)
            #expect(fencedCertificate.criticalOptions == ["source-address": "192.0.2.0/24,2001:db8::/32"])

            let erin = try await api.login("erin")
            let audit = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?limit=1000", token: erin))
            let issued = audit.events.filter { $0.action == "credential.issued" && $0.subject == forced.id }
            #expect(issued.map { $0.details["force_command"] } == ["echo forced-by-policy"])
            #expect(issued.map { $0.details["forwarding"] } == ["port_forwarding"])
        }
    }

    @Test("an admin's rotation publishes the next CA key at once, signs with it from the switch, and retires the old a day after")
    func rotation() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let erin = try await api.login("erin")
            let rotate = "/v1/admin/ssh/ca/rotate"
            #expect(try await api.send(.post, rotate, body: CertificateAuthorityRotationBody(switchAfterSeconds: 600), token: bob).status == .forbidden)
            for bad in [-1, 30 * 24 * 3600 + 1, Int.max] {
                let refused = try await api.send(.post, rotate, body: CertificateAuthorityRotationBody(switchAfterSeconds: bad), token: erin)
                #expect(refused.status == .badRequest, "switch_after_seconds \(bad)")
            }
            func trusted() async throws -> [String] {
                String(buffer: try await api.send(.get, "/v1/ssh/ca.pub").body).split(separator: "\n").map(String.init)
            }
            func signer() async throws -> String {
                let request = try await Self.approvedSSH(on: api, bob: bob, dave: dave)
                let response = try await api.send(
                    .post, "/v1/requests/\(request.id)/ssh-certificate", body: SSHCertificateBody(publicKey: Self.publicKeyLine()), token: bob
                )
                return try api.decode(SSHCertificateView.self, response).certificateAuthority
            }
            let original = try await signer()
            #expect(try await trusted().count == 1)

            let response = try await api.send(.post, rotate, body: CertificateAuthorityRotationBody(switchAfterSeconds: 600), token: erin)
            #expect(response.status == .created, "\(String(buffer: response.body))")
            let keys = try api.decode(CertificateAuthorityRotationView.self, response).keys
            let switchAt = harness.clock.now().addingTimeInterval(600)
            #expect(keys.map(\.generation) == [1, 2])
            #expect(keys.first?.fingerprint == original && keys.first?.retiresAt == switchAt.addingTimeInterval(24 * 3600))
            #expect(keys.last?.signsFrom == switchAt && keys.last?.retiresAt == nil)
            let lines = try await trusted()
            #expect(lines.count == 2 && lines[0].hasSuffix(" countersign-user-ca-1") && lines[1].hasSuffix(" countersign-user-ca-2"))
            let again = try await api.send(.post, rotate, body: CertificateAuthorityRotationBody(switchAfterSeconds: 0), token: erin)
            #expect(try again.status == .conflict && api.errorCode(again) == "rotation_pending")

            #expect(try await signer() == original, "the old key signs until the switch")
            harness.clock.advance(by: 600)
            let next = try await signer()
            #expect(next == keys.last?.fingerprint)
            #expect(try await trusted().count == 2, "the old key is trusted while certificates it signed may live")
            harness.clock.advance(by: 24 * 3600)
            #expect(try await trusted() == [lines[1]])

            let auditor = try await api.login("erin")
            let audit = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?limit=1000", token: auditor))
            let scheduled = audit.events.filter { $0.action == "key.rotation_scheduled" }
            #expect(scheduled.count == 1)
            #expect(scheduled.first?.actor == "erin" && scheduled.first?.details["next_fingerprint"] == next)
        }
    }
}
