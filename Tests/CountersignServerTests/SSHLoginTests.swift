import CountersignAPI
import CountersignCore
import Foundation
import Testing
import TestSupport

/// The whole path against a stock sshd on 127.0.0.1 that trusts the gateway's CA: an approved
/// request's certificate logs in as the approved login and nothing else, and stops working the
/// moment the request is revoked (through the KRL) or its window has passed.
@Suite("Logging in to a real sshd with the gateway's certificates", .timeLimit(.minutes(2)))
struct SSHLoginTests {
    /// A key made as a client makes it, and the certificate the gateway gives bob for it.
    private func certificate(for request: RequestView, on api: API, token: String, in tool: OpenSSHTool, name: String) async throws -> (key: String, certificate: String, view: SSHCertificateView) {
        let key = tool.directory.appendingPathComponent(name).path
        let made = try await tool.keygen(["-q", "-t", "ed25519", "-N", "", "-C", "bob@laptop", "-f", key])
        try #require(made.status == 0, "\(made.output)")
        let response = try await api.send(
            .post, "/v1/requests/\(request.id)/ssh-certificate",
            body: SSHCertificateBody(publicKey: try tool.read("\(name).pub").trimmingCharacters(in: .newlines)), token: token
        )
        try #require(response.status == .created, "\(String(buffer: response.body))")
        let view = try api.decode(SSHCertificateView.self, response)
        return (key, try tool.write("\(name)-cert.pub", view.certificate + "\n"), view)
    }

    private func fileAndApprove(on api: API, host: String, login: String, bob: String, dave: String) async throws -> RequestView {
        let response = try await api.send(.post, "/v1/requests", body: CreateRequestBody(
            kind: "ssh", host: host, login: login, durationSeconds: 1800, reason: "Drain the queue by hand", ticket: "INC-90"
        ), token: bob)
        try #require(response.status == .created, "\(String(buffer: response.body))")
        let approved = try await api.act("approve", try api.decode(RequestView.self, response).id, token: dave)
        try #require(approved.status == .ok, "\(String(buffer: approved.body))")
        return try api.decode(RequestView.self, approved)
    }

    /// With the gateway's clock at `gatewayTime`: bob's approved request for the local login on
    /// `host`, a host set up from the gateway's CA key and revocation list, and bob's certificate
    /// for it.
    private func withCertifiedLogin(
        gatewayTime: Date = Date(), host: String = "web-7.prod.internal", policies: URL? = nil,
        _ body: @Sendable (API, String, RequestView, SSHServer, (key: String, certificate: String, view: SSHCertificateView)) async throws -> Void
    ) async throws {
        let harness = try await GatewayHarness.make(policies: policies, clock: ManualClock(gatewayTime))
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let request = try await fileAndApprove(on: api, host: host, login: SSHServer.localUser, bob: bob, dave: dave)
            let authority = String(buffer: try await api.send(.get, "/v1/ssh/ca.pub").body).trimmingCharacters(in: .newlines)
            let revocations = Array(buffer: try await api.send(.get, "/v1/ssh/krl").body)
            try await SSHServer.with(trusting: authority, revocationList: revocations) { server in
                let issued = try await certificate(for: request, on: api, token: bob, in: server.tool, name: "id")
                try await body(api, bob, request, server, issued)
            }
        }
    }

    @Test("the certificate logs in as the approved login only, sshd logs its key id, and a revocation shuts it out")
    func loginThenRevocation() async throws {
        try await withCertifiedLogin(gatewayTime: Date()) { api, bob, request, server, issued in
            let login = SSHServer.localUser
            let session = try await server.login(as: login, key: issued.key, certificate: issued.certificate, command: "echo countersign-ok")
            #expect(session.status == 0, "\(session.output)\n\(server.log)")
            #expect(session.output.contains("countersign-ok"))
            #expect(server.log.contains(#"ID "countersign:\#(request.id):bob" (serial \#(issued.view.serial))"#), "\(server.log)")

            let other = login == "root" ? "nobody" : "root"
            let elsewhere = try await server.login(as: other, key: issued.key, certificate: issued.certificate, command: "echo should-not-run")
            #expect(elsewhere.status != 0 && !elsewhere.output.contains("should-not-run"), "a certificate is for its one principal")

            #expect(try await api.act("revoke", request.id, token: bob, reason: "Queue drained").status == .ok)
            try server.replaceRevocationList(Array(buffer: try await api.send(.get, "/v1/ssh/krl").body))
            let afterRevocation = try await server.login(as: login, key: issued.key, certificate: issued.certificate, command: "echo should-not-run")
            #expect(afterRevocation.status != 0 && !afterRevocation.output.contains("should-not-run"), "\(afterRevocation.output)")
            #expect(server.log.contains("revoked"), "sshd names the revocation: \(server.log)")
        }
    }

    @Test("a certificate whose access window has passed is refused by sshd itself")
    func expiry() async throws {
        // The gateway's clock stands two hours back: the 30-minute window it grants ended 90
        // minutes before sshd, on the real clock, is asked.
        try await withCertifiedLogin(gatewayTime: Date().addingTimeInterval(-7200)) { _, _, _, server, issued in
            #expect(issued.view.validBefore < Date().addingTimeInterval(-3600))
            let session = try await server.login(as: SSHServer.localUser, key: issued.key, certificate: issued.certificate, command: "echo should-not-run")
            #expect(session.status != 0 && !session.output.contains("should-not-run"), "\(session.output)")
        }
    }

    @Test("the policy's forced command runs instead of the one asked for, and the certificate says so to ssh-keygen")
    func forcedCommand() async throws {
        try await withCertifiedLogin(host: "forced-1.prod.internal", policies: try GatewayHarness.certificateTermsPolicies()) { _, _, _, server, issued in
            #expect(issued.view.validBefore.timeIntervalSince(issued.view.validAfter) == 60 + 600, "the rule's 10-minute lifetime, from a minute back")
            let listing = try await server.tool.keygen(["-L", "-f", issued.certificate])
            #expect(listing.output.contains("force-command echo forced-by-policy"), "\(listing.output)")
            #expect(listing.output.contains("permit-port-forwarding") && listing.output.contains("permit-pty"), "\(listing.output)")
            #expect(!listing.output.contains("permit-agent-forwarding") && !listing.output.contains("permit-user-rc"), "\(listing.output)")
            let session = try await server.login(as: SSHServer.localUser, key: issued.key, certificate: issued.certificate, command: "echo asked-for")
            #expect(session.status == 0, "\(session.output)\n\(server.log)")
            #expect(session.output.contains("forced-by-policy") && !session.output.contains("asked-for"), "\(session.output)")
        }
    }

    @Test("a certificate limited to other networks is refused by sshd from 127.0.0.1")
    func sourceAddress() async throws {
        try await withCertifiedLogin(host: "fenced-1.prod.internal", policies: try GatewayHarness.certificateTermsPolicies()) { _, _, _, server, issued in
            let listing = try await server.tool.keygen(["-L", "-f", issued.certificate])
            #expect(listing.output.contains("source-address 192.0.2.0/24,2001:db8::/32"), "\(listing.output)")
            let session = try await server.login(as: SSHServer.localUser, key: issued.key, certificate: issued.certificate, command: "echo should-not-run")
            #expect(session.status != 0 && !session.output.contains("should-not-run"), "\(session.output)")
            #expect(server.log.contains("not from a permitted source address"), "sshd names why it refused: \(server.log)")
        }
    }

    @Test("after a CA rotation, a host that fetched ca.pub again takes the new key's certificates; one that trusts only the old key refuses them")
    func rotation() async throws {
        let harness = try await GatewayHarness.make(clock: ManualClock(Date()))
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let erin = try await api.login("erin")
            let before = String(buffer: try await api.send(.get, "/v1/ssh/ca.pub").body).trimmingCharacters(in: .newlines)
            let rotated = try await api.send(.post, "/v1/admin/ssh/ca/rotate", body: CertificateAuthorityRotationBody(switchAfterSeconds: 0), token: erin)
            try #require(rotated.status == .created, "\(String(buffer: rotated.body))")
            let after = String(buffer: try await api.send(.get, "/v1/ssh/ca.pub").body).trimmingCharacters(in: .newlines)
            let revocations = Array(buffer: try await api.send(.get, "/v1/ssh/krl").body)
            let request = try await fileAndApprove(on: api, host: "web-7.prod.internal", login: SSHServer.localUser, bob: bob, dave: dave)
            try await SSHServer.with(trusting: after, revocationList: revocations) { refreshed in
                let issued = try await certificate(for: request, on: api, token: bob, in: refreshed.tool, name: "id")
                let session = try await refreshed.login(as: SSHServer.localUser, key: issued.key, certificate: issued.certificate, command: "echo rotated-ok")
                #expect(session.status == 0 && session.output.contains("rotated-ok"), "\(session.output)\n\(refreshed.log)")
                try await SSHServer.with(trusting: before, revocationList: revocations) { stale in
                    let refused = try await stale.login(as: SSHServer.localUser, key: issued.key, certificate: issued.certificate, command: "echo should-not-run")
                    #expect(refused.status != 0 && !refused.output.contains("should-not-run"), "a certificate from a CA the host does not trust")
                }
            }
        }
    }

    @Test("a distrusted CA key is out of ca.pub and in the KRL at once: a host with a stale ca.pub refuses what it signed, and the next key's certificates log in")
    func distrust() async throws {
        let harness = try await GatewayHarness.make(clock: ManualClock(Date()))
        try await harness.run { api in
            let bob = try await api.login("bob")
            let dave = try await api.login("dave")
            let erin = try await api.login("erin")
            let stale = String(buffer: try await api.send(.get, "/v1/ssh/ca.pub").body).trimmingCharacters(in: .newlines)
            let request = try await fileAndApprove(on: api, host: "web-7.prod.internal", login: SSHServer.localUser, bob: bob, dave: dave)
            let refusedToBob = try await api.send(.post, "/v1/admin/ssh/ca/distrust", token: bob)
            #expect(try refusedToBob.status == .forbidden && api.errorCode(refusedToBob) == "forbidden")

            try await SSHServer.with(trusting: stale, revocationList: Array(buffer: try await api.send(.get, "/v1/ssh/krl").body)) { before in
                let compromised = try await certificate(for: request, on: api, token: bob, in: before.tool, name: "old")
                let session = try await before.login(as: SSHServer.localUser, key: compromised.key, certificate: compromised.certificate, command: "echo before-ok")
                #expect(session.status == 0 && session.output.contains("before-ok"), "\(session.output)\n\(before.log)")

                harness.clock.advance(by: 1)
                let distrusted = try await api.send(.post, "/v1/admin/ssh/ca/distrust", token: erin)
                #expect(distrusted.status == .ok, "\(String(buffer: distrusted.body))")
                let keys = try api.decode(CertificateAuthorityRotationView.self, distrusted).keys
                #expect(keys.map(\.generation) == [2] && keys[0].fingerprint != compromised.view.certificateAuthority)
                let fresh = String(buffer: try await api.send(.get, "/v1/ssh/ca.pub").body)
                #expect(!fresh.contains(stale.split(separator: " ")[1]), "the compromised key is gone from ca.pub")
                let revocations = Array(buffer: try await api.send(.get, "/v1/ssh/krl").body)
                let krl = try before.tool.write("after.krl", revocations)
                let checked = try await before.tool.keygen(["-Q", "-f", krl, compromised.certificate])
                #expect(checked.status != 0 && checked.output.contains("REVOKED"), "\(checked.output)")

                try await SSHServer.with(trusting: stale, revocationList: revocations) { staleHost in
                    let refused = try await staleHost.login(as: SSHServer.localUser, key: compromised.key, certificate: compromised.certificate, command: "echo should-not-run")
                    #expect(refused.status != 0 && !refused.output.contains("should-not-run"), "the KRL refuses the compromised CA's certificates where ca.pub is stale")
                }
                try await SSHServer.with(trusting: fresh.trimmingCharacters(in: .newlines), revocationList: revocations) { refreshed in
                    let issued = try await certificate(for: request, on: api, token: bob, in: refreshed.tool, name: "new")
                    #expect(issued.view.certificateAuthority == keys[0].fingerprint, "the next key signs at once")
                    let session = try await refreshed.login(as: SSHServer.localUser, key: issued.key, certificate: issued.certificate, command: "echo after-ok")
                    #expect(session.status == 0 && session.output.contains("after-ok"), "\(session.output)\n\(refreshed.log)")
                }
            }
            let audit = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?limit=1000", token: erin)).events
            let event = try #require(audit.last { $0.action == "key.distrusted" })
            #expect(event.actor == "erin" && event.details["distrusted_generation"] == "1" && event.details["signing_generation"] == "2")
        }
    }
}
