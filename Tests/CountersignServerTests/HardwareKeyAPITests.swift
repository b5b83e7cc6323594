import CountersignAPI
import CountersignServer
import Foundation
import GRDB
import HTTPTypes
import Testing
import WebAuthnTesting
import WebAuthn

@Suite("Hardware-key enrolment and approvals through the API")
struct HardwareKeyAPITests {
    static func harness() async throws -> GatewayHarness {
        try await GatewayHarness.make { $0.publicURL = "http://localhost:8080" }
    }

    /// erin (admin) invites `user`, who enrols `authenticator` under `name`.
    static func enrol(_ api: API, _ user: String, token: String, admin: String, authenticator: SoftwareAuthenticator, name: String = "desk") async throws -> KeyView {
        let invite = try api.decode(InviteView.self, try await api.send(.post, "/v1/admin/invites", body: InviteBody(username: user), token: admin))
        let options = try api.decode(RegistrationOptionsView.self, try await api.send(.post, "/v1/keys/registration-options", token: token))
        let (object, clientData) = authenticator.register(challenge: options.challenge)
        let response = try await api.send(.post, "/v1/keys", body: EnrolKeyBody(
            ceremonyId: options.ceremonyId, inviteCode: invite.code, name: name, credentialId: Base64URL.encode(authenticator.credentialID),
            attestationObject: Base64URL.encode(object), clientDataJSON: Base64URL.encode(clientData)
        ), token: token)
        try #require(response.status == .created, "enrolment answered \(response.status): \(String(buffer: response.body))")
        return try api.decode(KeyView.self, response)
    }

    static func approve(_ api: API, _ id: String, token: String, authenticator: inout SoftwareAuthenticator, tamper: (inout AssertionBody) -> Void = { _ in }) async throws -> TestResponseSummary {
        let optionsResponse = try await api.send(.post, "/v1/requests/\(id)/approval-options", token: token)
        guard optionsResponse.status == .ok else { return TestResponseSummary(status: optionsResponse.status, code: try api.errorCode(optionsResponse), view: nil) }
        let options = try api.decode(AssertionOptionsView.self, optionsResponse)
        let signed = try authenticator.sign(challenge: options.challenge)
        var body = AssertionBody(
            ceremonyId: options.ceremonyId, credentialId: Base64URL.encode(authenticator.credentialID),
            authenticatorData: Base64URL.encode(signed.authenticatorData), clientDataJSON: Base64URL.encode(signed.clientDataJSON),
            signature: Base64URL.encode(signed.signature), userHandle: nil
        )
        tamper(&body)
        let response = try await api.send(.post, "/v1/requests/\(id)/approve-with-key", body: body, token: token)
        return TestResponseSummary(
            status: response.status, code: response.status == .ok ? nil : try api.errorCode(response),
            view: response.status == .ok ? try api.decode(RequestView.self, response) : nil, body: body
        )
    }

    static func fileKeyDeploy(_ api: API, token: String) async throws -> RequestView {
        let response = try await api.send(.post, "/v1/requests", body: CreateRequestBody(
            kind: "deploy", service: "search-api", environment: "production", commit: API.commit,
            reason: "Ship the new ranking model", ticket: "CHG-7"
        ), token: token)
        try #require(response.status == .created)
        return try api.decode(RequestView.self, response)
    }

    @Test("Two SREs enrol keys with invites and approve a production deploy by touching them")
    func happyPath() async throws {
        try await Self.harness().run { api in
            let (alice, carol, dave, erin) = (try await api.login("alice"), try await api.login("carol"), try await api.login("dave"), try await api.login("erin"))
            var carolsKey = SoftwareAuthenticator()
            var davesKey = SoftwareAuthenticator()
            let enrolled = try await Self.enrol(api, "carol", token: carol, admin: erin, authenticator: carolsKey)
            #expect(enrolled.name == "desk")
            #expect(enrolled.attestation == "none")
            _ = try await Self.enrol(api, "dave", token: dave, admin: erin, authenticator: davesKey)
            let listed = try api.decode(KeyListView.self, try await api.send(.get, "/v1/keys", token: carol))
            #expect(listed.keys.map(\.credentialId) == [Base64URL.encode(carolsKey.credentialID)])

            let filed = try await Self.fileKeyDeploy(api, token: alice)
            #expect(try await api.act("approve", filed.id, token: carol).status == .forbidden)
            let first = try await Self.approve(api, filed.id, token: carol, authenticator: &carolsKey)
            #expect(first.status == .ok)
            #expect(first.view?.state == "pending")
            #expect(first.view?.approvals.map(\.method) == ["hardware_key"])
            let second = try await Self.approve(api, filed.id, token: dave, authenticator: &davesKey)
            #expect(second.view?.state == "approved")

            // The key's counter and use are recorded; the audit log names the events.
            let keys = try api.decode(KeyListView.self, try await api.send(.get, "/v1/keys", token: carol))
            #expect(keys.keys.first?.lastUsedAt != nil)
            let audit = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?last=50", token: erin))
            let actions = audit.events.map(\.action)
            #expect(actions.filter { $0 == "key.invite_created" }.count == 2)
            #expect(actions.filter { $0 == "key.enrolled" }.count == 2)
            #expect(actions.contains("request.approved"))
            #expect(!audit.events.contains { $0.details.values.contains { $0.contains("-") && $0.count == 32 } }, "an invite code reached the audit log")
        }
    }

    @Test("Auditors re-verify every key approval from the stored request alone; an edited approval or request is named")
    func verifyApprovals() async throws {
        let harness = try await Self.harness()
        let database = harness.configuration.databasePath
        try await harness.run { api in
            let (alice, carol, dave, erin) = (try await api.login("alice"), try await api.login("carol"), try await api.login("dave"), try await api.login("erin"))
            var carolsKey = SoftwareAuthenticator()
            var davesKey = SoftwareAuthenticator()
            _ = try await Self.enrol(api, "carol", token: carol, admin: erin, authenticator: carolsKey)
            _ = try await Self.enrol(api, "dave", token: dave, admin: erin, authenticator: davesKey)
            let filed = try await Self.fileKeyDeploy(api, token: alice)
            _ = try await Self.approve(api, filed.id, token: carol, authenticator: &carolsKey)
            _ = try await Self.approve(api, filed.id, token: dave, authenticator: &davesKey)
            let session = try await api.filePaymentsDeploy(as: alice)
            _ = try await api.act("approve", session.id, token: carol)

            #expect(try await api.send(.get, "/v1/audit/verify-approvals", token: alice).status == .forbidden)
            let intact = try api.decode(ApprovalVerificationView.self, try await api.send(.get, "/v1/audit/verify-approvals", token: erin))
            #expect(intact.ok)
            #expect(intact.approvalsVerified == 2)
            #expect(intact.sessionApprovals == 1)

            // Someone with the file swaps dave's signature for carol's: dave's approval is named.
            try await Tamper.sql(database, "UPDATE approval_evidence SET signature = (SELECT signature FROM approval_evidence WHERE position = 0) WHERE position = 1")
            let swapped = try api.decode(ApprovalVerificationView.self, try await api.send(.get, "/v1/audit/verify-approvals", token: erin))
            #expect(!swapped.ok)
            #expect(swapped.faults.compactMap(\.approver) == ["dave"])
            #expect(swapped.faults.first?.code == "bad_signature")

            // Re-attributing carol's approval to erin changes the challenge it must have signed.
            try await Tamper.sql(database, "UPDATE approvals SET approver = 'erin' WHERE position = 0 AND method = 'hardware_key'")
            let reattributed = try api.decode(ApprovalVerificationView.self, try await api.send(.get, "/v1/audit/verify-approvals", token: erin))
            #expect(reattributed.faults.compactMap(\.approver).sorted() == ["dave", "erin"])
            #expect(reattributed.faults.first { $0.approver == "erin" }?.code == "challenge_mismatch")

            // Editing what was approved makes the request itself unreadable as approved content: named, not fatal.
            try await Tamper.sql(database, "UPDATE requests SET reason = 'Ship something else entirely' WHERE id = '\(filed.id)'")
            let edited = try api.decode(ApprovalVerificationView.self, try await api.send(.get, "/v1/audit/verify-approvals", token: erin))
            #expect(edited.faults.map(\.requestId) == [filed.id])
            #expect(edited.faults.first?.code == "integrity_violation")
            #expect(edited.faults.first?.approver == nil)
            #expect(edited.sessionApprovals == 1)
        }
    }

    @Test("A key is removed with a touch of another of one's keys, never by itself; an admin removes any key; both audited")
    func removal() async throws {
        try await Self.harness().run { api in
            let (carol, dave, erin) = (try await api.login("carol"), try await api.login("dave"), try await api.login("erin"))
            var desk = SoftwareAuthenticator()
            var spare = SoftwareAuthenticator()
            _ = try await Self.enrol(api, "carol", token: carol, admin: erin, authenticator: desk, name: "desk")
            let deskID = Base64URL.encode(desk.credentialID)
            let spareID = Base64URL.encode(spare.credentialID)

            // With one key only, there is nothing to confirm with.
            let alone = try await api.send(.post, "/v1/keys/\(deskID)/removal-options", token: carol)
            #expect(alone.status == .conflict)
            #expect(try api.errorCode(alone) == "no_enrolled_key")
            _ = try await Self.enrol(api, "carol", token: carol, admin: erin, authenticator: spare, name: "spare")

            // Someone else's key does not exist for dave.
            #expect(try await api.send(.post, "/v1/keys/\(deskID)/removal-options", token: dave).status == .notFound)

            let options = try api.decode(AssertionOptionsView.self, try await api.send(.post, "/v1/keys/\(deskID)/removal-options", token: carol))
            #expect(options.allowCredentials.map(\.id) == [spareID])
            // The key being removed cannot confirm its own removal.
            let selfSigned = try desk.sign(challenge: options.challenge)
            let bySelf = try await api.send(.post, "/v1/keys/\(deskID)/remove", body: AssertionBody(
                ceremonyId: options.ceremonyId, credentialId: deskID, authenticatorData: Base64URL.encode(selfSigned.authenticatorData),
                clientDataJSON: Base64URL.encode(selfSigned.clientDataJSON), signature: Base64URL.encode(selfSigned.signature), userHandle: nil
            ), token: carol)
            #expect(bySelf.status == .forbidden)
            #expect(try api.errorCode(bySelf) == "unknown_credential")

            let fresh = try api.decode(AssertionOptionsView.self, try await api.send(.post, "/v1/keys/\(deskID)/removal-options", token: carol))
            let signed = try spare.sign(challenge: fresh.challenge)
            let removed = try await api.send(.post, "/v1/keys/\(deskID)/remove", body: AssertionBody(
                ceremonyId: fresh.ceremonyId, credentialId: spareID, authenticatorData: Base64URL.encode(signed.authenticatorData),
                clientDataJSON: Base64URL.encode(signed.clientDataJSON), signature: Base64URL.encode(signed.signature), userHandle: nil
            ), token: carol)
            #expect(removed.status == .noContent)
            #expect(try api.decode(KeyListView.self, try await api.send(.get, "/v1/keys", token: carol)).keys.map(\.name) == ["spare"])

            // Admins remove anyone's key; others may not.
            #expect(try await api.send(.delete, "/v1/users/carol/keys/\(spareID)", token: dave).status == .forbidden)
            #expect(try await api.send(.delete, "/v1/users/carol/keys/\(spareID)", token: erin).status == .noContent)
            #expect(try await api.send(.delete, "/v1/users/carol/keys/\(spareID)", token: erin).status == .notFound)
            #expect(try api.decode(KeyListView.self, try await api.send(.get, "/v1/keys", token: carol)).keys.isEmpty)
            let audit = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?last=50", token: erin))
            #expect(audit.events.filter { $0.action == "key.removed" }.map { $0.details["by"] } == ["owner", "admin"])
        }
    }

    @Test("Invites: only admins make them, each works once, for its own user")
    func invites() async throws {
        try await Self.harness().run { api in
            let (alice, carol, erin) = (try await api.login("alice"), try await api.login("carol"), try await api.login("erin"))
            let notAdmin = try await api.send(.post, "/v1/admin/invites", body: InviteBody(username: "carol"), token: alice)
            #expect(notAdmin.status == .forbidden)
            let invalid = try await api.send(.post, "/v1/admin/invites", body: InviteBody(username: "not a user!"), token: erin)
            #expect(invalid.status == .badRequest)

            let key = SoftwareAuthenticator()
            let invite = try api.decode(InviteView.self, try await api.send(.post, "/v1/admin/invites", body: InviteBody(username: "carol"), token: erin))
            // alice cannot use carol's invite.
            let options = try api.decode(RegistrationOptionsView.self, try await api.send(.post, "/v1/keys/registration-options", token: alice))
            let (object, clientData) = key.register(challenge: options.challenge)
            let stolen = try await api.send(.post, "/v1/keys", body: EnrolKeyBody(
                ceremonyId: options.ceremonyId, inviteCode: invite.code, name: "mine now", credentialId: Base64URL.encode(key.credentialID),
                attestationObject: Base64URL.encode(object), clientDataJSON: Base64URL.encode(clientData)
            ), token: alice)
            #expect(stolen.status == .forbidden)

            _ = try await Self.enrol(api, "carol", token: carol, admin: erin, authenticator: key)
            // The same key again, even with a fresh invite, is refused: it is already enrolled.
            let again = try api.decode(InviteView.self, try await api.send(.post, "/v1/admin/invites", body: InviteBody(username: "carol"), token: erin))
            let second = try api.decode(RegistrationOptionsView.self, try await api.send(.post, "/v1/keys/registration-options", token: carol))
            #expect(second.excludeCredentials.map(\.id) == [Base64URL.encode(key.credentialID)])
            let (object2, clientData2) = key.register(challenge: second.challenge)
            let duplicate = try await api.send(.post, "/v1/keys", body: EnrolKeyBody(
                ceremonyId: second.ceremonyId, inviteCode: again.code, name: "spare", credentialId: Base64URL.encode(key.credentialID),
                attestationObject: Base64URL.encode(object2), clientDataJSON: Base64URL.encode(clientData2)
            ), token: carol)
            #expect(duplicate.status == .conflict)
        }
    }

    @Test("A registration for another origin, a wrong challenge or a malformed attestation is refused and enrols nothing")
    func badRegistrations() async throws {
        try await Self.harness().run { api in
            let (carol, erin) = (try await api.login("carol"), try await api.login("erin"))
            for (key, challengeOverride, expected) in [
                (SoftwareAuthenticator(origin: "http://localhost:9999"), nil as String?, "origin_mismatch"),
                (SoftwareAuthenticator(rpID: "example.org"), nil, "relying_party_mismatch"),
                (SoftwareAuthenticator(), Base64URL.encode([UInt8](repeating: 1, count: 32)), "challenge_mismatch"),
            ] {
                let invite = try api.decode(InviteView.self, try await api.send(.post, "/v1/admin/invites", body: InviteBody(username: "carol"), token: erin))
                let options = try api.decode(RegistrationOptionsView.self, try await api.send(.post, "/v1/keys/registration-options", token: carol))
                let (object, clientData) = key.register(challenge: challengeOverride ?? options.challenge)
                let response = try await api.send(.post, "/v1/keys", body: EnrolKeyBody(
                    ceremonyId: options.ceremonyId, inviteCode: invite.code, name: "desk", credentialId: Base64URL.encode(key.credentialID),
                    attestationObject: Base64URL.encode(object), clientDataJSON: Base64URL.encode(clientData)
                ), token: carol)
                #expect(response.status == .forbidden)
                #expect(try api.errorCode(response) == expected)
            }
            let invite = try api.decode(InviteView.self, try await api.send(.post, "/v1/admin/invites", body: InviteBody(username: "carol"), token: erin))
            let options = try api.decode(RegistrationOptionsView.self, try await api.send(.post, "/v1/keys/registration-options", token: carol))
            let garbage = try await api.send(.post, "/v1/keys", body: EnrolKeyBody(
                ceremonyId: options.ceremonyId, inviteCode: invite.code, name: "desk", credentialId: "AAAA",
                attestationObject: Base64URL.encode([0xBF, 0x01]), clientDataJSON: Base64URL.encode(SoftwareAuthenticator().clientData(type: "webauthn.create", challenge: options.challenge))
            ), token: carol)
            #expect(garbage.status == .badRequest)
            #expect(try api.errorCode(garbage) == "malformed_cbor")
            let notBase64 = try await api.send(.post, "/v1/keys", body: EnrolKeyBody(
                ceremonyId: options.ceremonyId, inviteCode: invite.code, name: "desk", credentialId: "AAAA", attestationObject: "not base64url!", clientDataJSON: "e30"
            ), token: carol)
            #expect(notBase64.status == .badRequest)
            #expect(try api.decode(KeyListView.self, try await api.send(.get, "/v1/keys", token: carol)).keys.isEmpty)
        }
    }

    @Test("Approvals refuse the requester, replays, bad signatures, other requests' ceremonies and a counter going backwards")
    func approvalAbuse() async throws {
        try await Self.harness().run { api in
            let (alice, bob, carol, erin) = (try await api.login("alice"), try await api.login("bob"), try await api.login("carol"), try await api.login("erin"))
            var carolsKey = SoftwareAuthenticator()
            _ = try await Self.enrol(api, "carol", token: carol, admin: erin, authenticator: carolsKey)
            let filed = try await Self.fileKeyDeploy(api, token: alice)
            let other = try await Self.fileKeyDeploy(api, token: alice)

            // Not a reviewer (the request does not exist for bob), or no key: no ceremony is even started.
            var bobsKey = SoftwareAuthenticator()
            #expect(try await Self.approve(api, filed.id, token: bob, authenticator: &bobsKey).code == "not_found")
            let dave = try await api.login("dave")
            var unenrolled = SoftwareAuthenticator()
            #expect(try await Self.approve(api, filed.id, token: dave, authenticator: &unenrolled).code == "no_enrolled_key")

            let badSignature = try await Self.approve(api, filed.id, token: carol, authenticator: &carolsKey) { body in
                var signature = Base64URL.decode(body.signature) ?? []
                signature[signature.count - 1] ^= 1
                body = AssertionBody(ceremonyId: body.ceremonyId, credentialId: body.credentialId, authenticatorData: body.authenticatorData, clientDataJSON: body.clientDataJSON, signature: Base64URL.encode(signature), userHandle: nil)
            }
            #expect(badSignature.status == .forbidden)
            #expect(badSignature.code == "bad_signature")

            let noVerification = try await Self.approve(api, filed.id, token: carol, authenticator: &carolsKey) { _ in }
            #expect(noVerification.status == .ok)
            let replay = try await api.send(.post, "/v1/requests/\(filed.id)/approve-with-key", body: noVerification.body, token: carol)
            #expect(replay.status == .conflict)

            // A ceremony for one request cannot approve another.
            let options = try api.decode(AssertionOptionsView.self, try await api.send(.post, "/v1/requests/\(other.id)/approval-options", token: carol))
            let signed = try carolsKey.sign(challenge: options.challenge)
            let crossed = try await api.send(.post, "/v1/requests/\(filed.id)/approve-with-key", body: AssertionBody(
                ceremonyId: options.ceremonyId, credentialId: Base64URL.encode(carolsKey.credentialID), authenticatorData: Base64URL.encode(signed.authenticatorData),
                clientDataJSON: Base64URL.encode(signed.clientDataJSON), signature: Base64URL.encode(signed.signature), userHandle: nil
            ), token: carol)
            #expect(crossed.status == .forbidden)
            #expect(try api.decode(RequestView.self, try await api.send(.get, "/v1/requests/\(other.id)", token: carol)).approvals.isEmpty)

            // A clone that signs with a counter behind the enrolled key's is refused and flagged.
            var clone = carolsKey
            clone.counter = 0
            let cloned = try await Self.approve(api, other.id, token: carol, authenticator: &clone)
            #expect(cloned.code == "sign_count_not_increased")
            let keys = try api.decode(KeyListView.self, try await api.send(.get, "/v1/keys", token: carol))
            #expect(keys.keys.first?.flaggedAt != nil)
            // A flagged key is no longer offered, even to its genuine holder.
            #expect(try await Self.approve(api, other.id, token: carol, authenticator: &carolsKey).code == "no_enrolled_key")
            let audit = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?last=50", token: erin))
            #expect(audit.events.contains { $0.action == "key.possibly_cloned" })
            #expect(audit.events.contains { $0.action == "key.approval_refused" && $0.details["code"] == "bad_signature" })

            // The requester is refused before any ceremony starts.
            var alicesKey = SoftwareAuthenticator()
            #expect(try await Self.approve(api, filed.id, token: alice, authenticator: &alicesKey).code == "self_approval")
        }
    }

    @Test("Ten refused key approvals in fifteen minutes throttle the approver with 429 and Retry-After, until the window passes")
    func refusalsAreThrottled() async throws {
        let harness = try await Self.harness()
        try await harness.run { api in
            let (alice, carol, erin) = (try await api.login("alice"), try await api.login("carol"), try await api.login("erin"))
            var key = SoftwareAuthenticator()
            _ = try await Self.enrol(api, "carol", token: carol, admin: erin, authenticator: key)
            let filed = try await Self.fileKeyDeploy(api, token: alice)
            for _ in 0..<10 {
                let refused = try await Self.approve(api, filed.id, token: carol, authenticator: &key) { body in
                    body = AssertionBody(
                        ceremonyId: body.ceremonyId, credentialId: body.credentialId, authenticatorData: body.authenticatorData,
                        clientDataJSON: body.clientDataJSON, signature: Base64URL.encode([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]), userHandle: nil
                    )
                }
                #expect(refused.code == "bad_signature")
            }
            let throttled = try await api.send(.post, "/v1/requests/\(filed.id)/approval-options", token: carol)
            #expect(throttled.status == .tooManyRequests)
            #expect(throttled.headers[.retryAfter] != nil)
            harness.clock.advance(by: 15 * 60)
            #expect(try await Self.approve(api, filed.id, token: carol, authenticator: &key).view?.approvals.count == 1)
        }
    }

    @Test("Without a public URL the gateway offers no key ceremony and says why")
    func unconfigured() async throws {
        try await GatewayHarness.make().run { api in
            let carol = try await api.login("carol")
            let response = try await api.send(.post, "/v1/keys/registration-options", token: carol)
            #expect(response.status == .serviceUnavailable)
            #expect(try api.errorCode(response) == "hardware_keys_unavailable")
        }
    }
}

/// What someone with write access to the SQLite file could do, append-only triggers first.
enum Tamper {
    static func sql(_ path: String, _ statement: String) async throws {
        let database = try DatabaseQueue(path: path)
        try await database.write { db in
            for trigger in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'") {
                try db.execute(sql: "DROP TRIGGER \(trigger)")
            }
            try db.execute(sql: statement)
        }
    }
}

struct TestResponseSummary {
    let status: HTTPResponse.Status
    let code: String?
    let view: RequestView?
    var body: AssertionBody?
}
