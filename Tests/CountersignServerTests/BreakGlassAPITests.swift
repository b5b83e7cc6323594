import CountersignAPI
import CountersignCore
import CountersignServer
import CountersignStore
import Crypto
import Foundation
import HTTPTypes
import NIOCore
import Notifications
import Testing
import TestSupport
import WebAuthn
import WebAuthnTesting

/// Breaking glass through the API, with the example policies' break-glass rules and their two
/// channels pointing at real receivers on 127.0.0.1: the page before the credential, the
/// recorded certificate, the ways a grant ends (its user, its incident, its expiry) each with a
/// resolve, the refusals that are audited and paged, and the review afterwards.
@Suite("Break-glass through the API")
struct BreakGlassAPITests {
    static let recorder = "/usr/local/bin/countersign record --gateway http://127.0.0.1:8080"
    static let webhookSecret = "whsec-test-0123456789abcdef"

    /// A gateway whose `oncall-pagerduty` (PagerDuty Events v2) and `security-slack` (Slack)
    /// channels send to two receivers, with an incident webhook secret and a short page wait.
    static func withGateway(
        pager: HTTPReceiver.Answer = .accept, passwords: (any PasswordVerifier)? = nil,
        _ body: (GatewayHarness, _ pager: HTTPReceiver, _ slack: HTTPReceiver) async throws -> Void
    ) async throws {
        let pagerReceiver = try await HTTPReceiver.start(answering: pager)
        let slackReceiver = try await HTTPReceiver.start(answering: .status(200, body: "ok"))
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-break-glass-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let file = scratch.appendingPathComponent("notifications.yaml")
        try """
            channels:
              oncall-pagerduty:
                kind: pagerduty
                routing_key_env: TEST_ROUTING_KEY
                events_url: \(pagerReceiver.url("/v2/enqueue"))
              security-slack:
                kind: slack
                webhook_url_env: TEST_SLACK_URL
            incident_webhook:
              secret_env: TEST_PD_WEBHOOK
            """.write(to: file, atomically: true, encoding: .utf8)
        let notifications = try NotificationConfiguration.load(path: file.path, environment: [
            "TEST_ROUTING_KEY": "R0UT1NGKEY0123456789", "TEST_SLACK_URL": slackReceiver.url("/services/T0/B0/secret"), "TEST_PD_WEBHOOK": webhookSecret,
        ])
        let harness = try await GatewayHarness.make(passwordVerifier: passwords) {
            $0.notifications = notifications
            $0.recorderCommand = recorder
            $0.publicURL = "http://localhost:8080"
            $0.breakGlassPageWait = .seconds(30)
        }
        do {
            try await body(harness, pagerReceiver, slackReceiver)
        } catch {
            await pagerReceiver.stop()
            await slackReceiver.stop()
            throw error
        }
        await pagerReceiver.stop()
        await slackReceiver.stop()
    }

    static let publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl test"

    static func ask(host: String = "web-1.prod.internal", login: String = "deploy", incident: String = "INC-42", minutes: Int? = nil, touch: AssertionBody? = nil) -> BreakGlassBody {
        BreakGlassBody(
            host: host, login: login, incident: incident, reason: "Checkout is down; restarting the payment worker",
            durationSeconds: minutes.map { $0 * 60 }, publicKey: publicKey, keyTouch: touch
        )
    }

    static func events(_ receiver: HTTPReceiver) throws -> [[String: Any]] {
        try receiver.received.map { try #require(try JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any]) }
    }

    /// Waits (without asserting on how long) until `receiver` has `count` requests.
    static func awaitReceived(_ receiver: HTTPReceiver, count: Int, _ harness: GatewayHarness) async throws {
        for _ in 0..<300 where receiver.received.count < count {
            await harness.gateway.dispatchNotifications()
            try await Task.sleep(for: .milliseconds(20))
        }
        try #require(receiver.received.count >= count, "the receiver has \(receiver.received.count) of \(count) requests")
    }

    static func auditActions(_ api: API, token: String) async throws -> [String] {
        let page = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?limit=200", token: token))
        return page.events.map(\.action)
    }

    @Test("an on-call SRE breaks glass: the trigger is at PagerDuty before the recorded certificate returns; ending it revokes the certificate and resolves the page")
    func grantAndEnd() async throws {
        try await Self.withGateway { harness, pager, _ in try await harness.run { api in
            let carol = try await api.login("carol")
            let response = try await api.send(.post, "/v1/break-glass", body: Self.ask(), token: carol)
            try #require(response.status == .created, "\(String(buffer: response.body))")
            let granted = try api.decode(BreakGlassGrantedView.self, response)
            let grant = granted.grant
            #expect(grant.request.kind == "break_glass" && grant.request.state == "approved" && grant.incident == "INC-42" && !grant.keyTouched)
            #expect(grant.request.certificate?.recording == "output_and_input" && grant.channels == ["oncall-pagerduty"])
            #expect(granted.pages.map(\.state) == ["delivered"], "\(granted.pages)")
            // Delivered before the answer: the receiver already holds the trigger.
            let trigger = try #require(try Self.events(pager).first)
            #expect(trigger["event_action"] as? String == "trigger" && trigger["dedup_key"] as? String == grant.request.id)
            #expect(trigger["routing_key"] as? String == "R0UT1NGKEY0123456789")
            let payload = try #require(trigger["payload"] as? [String: Any])
            #expect(payload["severity"] as? String == "critical" && payload["component"] as? String == "web-1.prod.internal" && payload["group"] as? String == "deploy")
            let details = try #require(payload["custom_details"] as? [String: Any])
            #expect(details["user"] as? String == "carol" && details["incident"] as? String == "INC-42" && details["login"] as? String == "deploy")
            #expect(details["link"] as? String == "http://localhost:8080/requests/\(grant.request.id)")
            let certificate = try #require(granted.certificate)
            #expect(certificate.principals == ["deploy"] && certificate.recordingId != nil)

            let ended = try await api.send(.post, "/v1/break-glass/\(grant.request.id)/end", body: EndBreakGlassBody(reason: "Worker restarted"), token: carol)
            try #require(ended.status == .ok, "\(String(buffer: ended.body))")
            #expect(try api.decode(BreakGlassGrantView.self, ended).request.state == "revoked")
            let revoked = try await harness.gateway.store.revokedCredentials(at: harness.clock.now())
            #expect(revoked.map(\.serial.rawValue).contains(certificate.serial), "the KRL names the grant's certificate")
            try await Self.awaitReceived(pager, count: 2, harness)
            let resolve = try Self.events(pager)[1]
            #expect(resolve["event_action"] as? String == "resolve" && resolve["dedup_key"] as? String == grant.request.id)

            let erin = try await api.login("erin")
            let actions = try await Self.auditActions(api, token: erin)
            for action in ["request.created", "break_glass.granted", "credential.issued", "request.revoked", "break_glass.ended"] {
                #expect(actions.contains(action), "\(action) is audited")
            }
        } }
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        let testDescription: String
        let user: String
        let ask: BreakGlassBody
        let status: HTTPResponse.Status
        let code: String
        let paged: Bool
    }

    @Test("refusals are named, audited, and paged when a rule covered the target", arguments: [
        Refusal(testDescription: "an engineer outside the on-call group", user: "alice", ask: BreakGlassAPITests.ask(), status: .forbidden, code: "break_glass_not_on_call", paged: true),
        Refusal(testDescription: "a host no rule covers", user: "carol", ask: BreakGlassAPITests.ask(host: "web-1.staging.internal"), status: .unprocessableContent, code: "break_glass_no_rule", paged: false),
        Refusal(testDescription: "an incident of another form", user: "carol", ask: BreakGlassAPITests.ask(incident: "CHG-1"), status: .unprocessableContent, code: "break_glass_incident_mismatch", paged: true),
        Refusal(testDescription: "longer than the rule allows", user: "carol", ask: BreakGlassAPITests.ask(minutes: 31), status: .unprocessableContent, code: "break_glass_too_long", paged: true),
        Refusal(testDescription: "the database rule always takes a key", user: "carol", ask: BreakGlassAPITests.ask(host: "db-1.prod.internal", login: "postgres"), status: .forbidden, code: "break_glass_key_touch_required", paged: true),
    ])
    func refusals(_ row: Refusal) async throws {
        try await Self.withGateway { harness, pager, _ in try await harness.run { api in
            let token = try await api.login(row.user)
            let response = try await api.send(.post, "/v1/break-glass", body: row.ask, token: token)
            let code = try api.errorCode(response)
            #expect(response.status == row.status && code == row.code, "\(String(buffer: response.body))")
            let erin = try await api.login("erin")
            #expect(try await Self.auditActions(api, token: erin).contains("break_glass.refused"))
            #expect(try await harness.gateway.store.requests(try RequestQuery(limit: 10)).isEmpty, "nothing was granted")
            if row.paged {
                try await Self.awaitReceived(pager, count: 1, harness)
                let payload = try #require(try Self.events(pager).first?["payload"] as? [String: Any])
                #expect((payload["summary"] as? String)?.contains("Refused break-glass") == true)
                #expect((payload["custom_details"] as? [String: Any])?["refusal"] as? String == row.code)
            } else {
                await harness.gateway.dispatchNotifications()
                #expect(pager.received.isEmpty)
            }
        } }
    }

    @Test("hostile asks are refused before anything is written: bad fields, a request of kind break_glass, no public key")
    func malformed() async throws {
        try await Self.withGateway { harness, _, _ in try await harness.run { api in
            let carol = try await api.login("carol")
            let noKey = BreakGlassBody(host: "web-1.prod.internal", login: "deploy", incident: "INC-1", reason: "r", durationSeconds: nil, publicKey: nil, keyTouch: nil)
            for body in [
                noKey,
                BreakGlassBody(host: "web-1.prod.internal", login: "deploy", incident: "INC-1", reason: "fine\u{202E}", durationSeconds: nil, publicKey: Self.publicKey, keyTouch: nil),
                BreakGlassBody(host: "web-1.prod.internal", login: "deploy", incident: "", reason: "r", durationSeconds: nil, publicKey: Self.publicKey, keyTouch: nil),
                BreakGlassBody(host: "web-1.prod.internal", login: "deploy", incident: "INC-1", reason: "r", durationSeconds: Int.max, publicKey: Self.publicKey, keyTouch: nil),
                BreakGlassBody(host: "web_1 .prod", login: "deploy", incident: "INC-1", reason: "r", durationSeconds: nil, publicKey: Self.publicKey, keyTouch: nil),
                BreakGlassBody(host: "web-1.prod.internal", login: "deploy", incident: "INC-1", reason: "r", durationSeconds: nil, publicKey: "ssh-rsa AAAA", keyTouch: nil),
            ] {
                let response = try await api.send(.post, "/v1/break-glass", body: body, token: carol)
                #expect(response.status == .badRequest, "\(String(buffer: response.body))")
            }
            let filed = try await api.send(.post, "/v1/requests", body: CreateRequestBody(
                kind: "break_glass", host: "web-1.prod.internal", login: "deploy", durationSeconds: 600, reason: "r", ticket: "INC-1"
            ), token: carol)
            #expect(filed.status == .badRequest)
            #expect(try await harness.gateway.store.requests(try RequestQuery(limit: 10)).isEmpty)
            #expect(try await api.send(.post, "/v1/break-glass", body: Self.ask()).status == .unauthorized)
        } }
    }

    /// A touch of `authenticator` over `ask`, answering the gateway's key challenge.
    static func touch(_ api: API, _ ask: BreakGlassBody, token: String, authenticator: inout SoftwareAuthenticator) async throws -> AssertionBody {
        let response = try await api.send(.post, "/v1/break-glass/key-challenge", body: ask, token: token)
        try #require(response.status == .ok, "\(String(buffer: response.body))")
        let options = try api.decode(AssertionOptionsView.self, response)
        #expect(options.touchWanted == true, "the rules these tests ask under want the touch of an enrolled key")
        let signed = try authenticator.sign(challenge: options.challenge)
        return AssertionBody(
            ceremonyId: options.ceremonyId, credentialId: Base64URL.encode(authenticator.credentialID),
            authenticatorData: Base64URL.encode(signed.authenticatorData), clientDataJSON: Base64URL.encode(signed.clientDataJSON),
            signature: Base64URL.encode(signed.signature), userHandle: nil
        )
    }

    @Test("with an enrolled key the user must touch it, over exactly this ask; a second SRE's key agreement activates the database grant")
    func keyTouchAndAgreement() async throws {
        try await Self.withGateway { harness, _, _ in try await harness.run { api in
            let carol = try await api.login("carol")
            let dave = try await api.login("dave")
            let erin = try await api.login("erin")
            var carolsKey = SoftwareAuthenticator()
            var davesKey = SoftwareAuthenticator()
            _ = try await HardwareKeyAPITests.enrol(api, "carol", token: carol, admin: erin, authenticator: carolsKey)
            _ = try await HardwareKeyAPITests.enrol(api, "dave", token: dave, admin: erin, authenticator: davesKey)

            let untouched = try await api.send(.post, "/v1/break-glass", body: Self.ask(), token: carol)
            let untouchedCode = try api.errorCode(untouched)
            #expect(untouched.status == .forbidden && untouchedCode == "break_glass_key_touch_required")
            // A touch over one ask does not open another.
            let otherTouch = try await Self.touch(api, Self.ask(incident: "INC-7"), token: carol, authenticator: &carolsKey)
            let swapped = try await api.send(.post, "/v1/break-glass", body: Self.ask(touch: otherTouch), token: carol)
            #expect(swapped.status == .forbidden, "\(String(buffer: swapped.body))")
            // Nor does someone else's touch.
            let davesTouch = try await Self.touch(api, Self.ask(), token: dave, authenticator: &davesKey)
            #expect(try await api.send(.post, "/v1/break-glass", body: Self.ask(touch: davesTouch), token: carol).status != .created)

            let touched = try await api.send(.post, "/v1/break-glass", body: Self.ask(touch: try await Self.touch(api, Self.ask(), token: carol, authenticator: &carolsKey)), token: carol)
            try #require(touched.status == .created, "\(String(buffer: touched.body))")
            #expect(try api.decode(BreakGlassGrantedView.self, touched).grant.keyTouched)

            let database = Self.ask(host: "db-1.prod.internal", login: "postgres")
            let pendingResponse = try await api.send(.post, "/v1/break-glass", body: Self.ask(
                host: "db-1.prod.internal", login: "postgres", touch: try await Self.touch(api, database, token: carol, authenticator: &carolsKey)
            ), token: carol)
            try #require(pendingResponse.status == .created, "\(String(buffer: pendingResponse.body))")
            let pending = try api.decode(BreakGlassGrantedView.self, pendingResponse)
            #expect(pending.grant.request.state == "pending" && pending.certificate == nil && pending.pages.count == 2)
            let agreed = try await HardwareKeyAPITests.approve(api, pending.grant.request.id, token: dave, authenticator: &davesKey)
            #expect(agreed.status == .ok && agreed.view?.state == "approved")
            let certificate = try await api.send(.post, "/v1/requests/\(pending.grant.request.id)/ssh-certificate", body: SSHCertificateBody(publicKey: Self.publicKey), token: carol)
            #expect(certificate.status == .created)
            #expect(try api.decode(SSHCertificateView.self, certificate).principals == ["postgres"])
        } }
    }

    static func signedWebhook(incident number: Int, id: String = "PINC42", type: String = "incident.resolved", at time: Date, secret: String = webhookSecret) -> (body: [UInt8], signature: String) {
        let body = Array("""
            {"event":{"id":"01EVT\(number)","event_type":"\(type)","resource_type":"incident","occurred_at":"\(ISO8601DateFormatter().string(from: time))","data":{"id":"\(id)","type":"incident","number":\(number),"status":"resolved"}}}
            """.utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return (body, "v1=" + Data(mac).map { String(format: "%02x", $0) }.joined())
    }

    @Test("the incident's resolution ends its grants with a resolve; a forged, stale or unsigned webhook ends nothing")
    func incidentResolution() async throws {
        try await Self.withGateway { harness, pager, _ in try await harness.run { api in
            let carol = try await api.login("carol")
            let granted = try api.decode(BreakGlassGrantedView.self, try await api.send(.post, "/v1/break-glass", body: Self.ask(), token: carol))
            let other = try api.decode(BreakGlassGrantedView.self, try await api.send(.post, "/v1/break-glass", body: Self.ask(incident: "INC-43"), token: carol))
            let now = harness.clock.now()
            func post(_ body: [UInt8], _ signature: String?) async throws -> HTTPResponse.Status {
                var headers = HTTPFields()
                headers[.contentType] = "application/json"
                if let signature { headers[HTTPField.Name("X-PagerDuty-Signature")!] = signature }
                return try await api.client.execute(uri: "/v1/webhooks/pagerduty", method: .post, headers: headers, body: ByteBuffer(bytes: body)).status
            }
            let forged = Self.signedWebhook(incident: 42, at: now, secret: "not-the-secret-0123456789")
            #expect(try await post(forged.body, forged.signature) == .unauthorized)
            let genuine = Self.signedWebhook(incident: 42, at: now)
            #expect(try await post(genuine.body, nil) == .unauthorized)
            let stale = Self.signedWebhook(incident: 42, at: now.addingTimeInterval(-600))
            #expect(try await post(stale.body, stale.signature) == .unauthorized)
            #expect(try await harness.gateway.store.request(try RequestID(granted.grant.request.id))?.state == .approved)

            #expect(try await post(genuine.body, genuine.signature) == .accepted)
            #expect(try await harness.gateway.store.request(try RequestID(granted.grant.request.id))?.state == .revoked)
            #expect(try await harness.gateway.store.request(try RequestID(other.grant.request.id))?.state == .approved, "another incident's grant stays")
            // A replay ends nothing more.
            #expect(try await post(genuine.body, genuine.signature) == .accepted)
            try await Self.awaitReceived(pager, count: 3, harness)
            let resolves = try Self.events(pager).filter { $0["event_action"] as? String == "resolve" }
            #expect(resolves.map { $0["dedup_key"] as? String } == [granted.grant.request.id])
            // A PagerDuty resolve carries no payload; the grant says what ended it.
            let ended = try await harness.gateway.store.request(try RequestID(granted.grant.request.id))
            #expect(ended?.closeReason == "incident PINC42 resolved" && ended?.closedBy == nil)
        } }
    }

    @Test("a grant expires with a resolve; its review is due in 24 hours, pages again once when overdue, and is recorded with the reviewer's key")
    func expiryAndReview() async throws {
        try await Self.withGateway { harness, pager, _ in try await harness.run { api in
            var carol = try await api.login("carol")
            var erin = try await api.login("erin")
            let granted = try api.decode(BreakGlassGrantedView.self, try await api.send(.post, "/v1/break-glass", body: Self.ask(minutes: 10), token: carol))
            let id = granted.grant.request.id
            harness.clock.advance(by: 600)
            await harness.gateway.sweepExpired()
            #expect(try await harness.gateway.store.request(try RequestID(id))?.state == .expired)
            try await Self.awaitReceived(pager, count: 2, harness)
            #expect(try Self.events(pager)[1]["event_action"] as? String == "resolve")

            let listed = try await api.send(.get, "/v1/break-glass?unreviewed=true", token: erin)
            let unreviewed = try api.decode(BreakGlassListView.self, listed)
            #expect(unreviewed.grants.map(\.request.id) == [id])
            harness.clock.advance(by: 24 * 3600)
            await harness.gateway.sweepExpired()
            await harness.gateway.sweepExpired()
            try await Self.awaitReceived(pager, count: 3, harness)
            // A day on, the sessions of the morning have lapsed.
            carol = try await api.login("carol")
            erin = try await api.login("erin")
            let escalations = try Self.events(pager).filter { $0["dedup_key"] as? String == "\(id):review-overdue" }
            #expect(escalations.count == 1, "escalated once, whatever the number of sweeps")
            let shown = try await api.send(.get, "/v1/break-glass/\(id)", token: erin)
            try #require(shown.status == .ok, "\(String(buffer: shown.body))")
            let overdue = try api.decode(BreakGlassGrantView.self, shown)
            #expect(overdue.reviewOverdue && overdue.reviewEscalatedAt != nil)

            // The user may not review their own grant; a reviewer must touch a key.
            let own = try await api.send(.post, "/v1/break-glass/\(id)/review-challenge", body: BreakGlassReviewBody(verdict: "justified", notes: "", keyTouch: nil), token: carol)
            #expect(own.status == .notFound || own.status == .forbidden)
            let untouched = try await api.send(.post, "/v1/break-glass/\(id)/review", body: BreakGlassReviewBody(verdict: "justified", notes: "", keyTouch: nil), token: erin)
            let untouchedCode = try api.errorCode(untouched)
            #expect(untouched.status == .forbidden && untouchedCode == "hardware_key_required")

            var erinsKey = SoftwareAuthenticator()
            _ = try await HardwareKeyAPITests.enrol(api, "erin", token: erin, admin: erin, authenticator: erinsKey)
            let verdict = BreakGlassReviewBody(verdict: "justified", notes: "Watched the recording: restart only", keyTouch: nil)
            let optionsResponse = try await api.send(.post, "/v1/break-glass/\(id)/review-challenge", body: verdict, token: erin)
            try #require(optionsResponse.status == .ok, "\(String(buffer: optionsResponse.body))")
            let options = try api.decode(AssertionOptionsView.self, optionsResponse)
            let signed = try erinsKey.sign(challenge: options.challenge)
            let touch = AssertionBody(
                ceremonyId: options.ceremonyId, credentialId: Base64URL.encode(erinsKey.credentialID),
                authenticatorData: Base64URL.encode(signed.authenticatorData), clientDataJSON: Base64URL.encode(signed.clientDataJSON),
                signature: Base64URL.encode(signed.signature), userHandle: nil
            )
            // The touch signed this verdict; another verdict with it is refused.
            let swapped = try await api.send(.post, "/v1/break-glass/\(id)/review", body: BreakGlassReviewBody(verdict: "unjustified", notes: "no", keyTouch: touch), token: erin)
            #expect(swapped.status == .forbidden, "\(String(buffer: swapped.body))")
            let reviewedResponse = try await api.send(.post, "/v1/break-glass/\(id)/review", body: BreakGlassReviewBody(
                verdict: verdict.verdict, notes: verdict.notes, keyTouch: try await Self.reviewTouch(api, id, verdict, token: erin, authenticator: &erinsKey)
            ), token: erin)
            try #require(reviewedResponse.status == .ok, "\(String(buffer: reviewedResponse.body))")
            let reviewed = try api.decode(BreakGlassGrantView.self, reviewedResponse)
            #expect(reviewed.review?.verdict == "justified" && reviewed.review?.reviewer == "erin" && !reviewed.reviewOverdue)
            #expect(try api.decode(BreakGlassListView.self, try await api.send(.get, "/v1/break-glass?unreviewed=true", token: erin)).grants.isEmpty)
            #expect(try await Self.auditActions(api, token: erin).contains("break_glass.reviewed"))
        } }
    }

    static func reviewTouch(_ api: API, _ id: String, _ verdict: BreakGlassReviewBody, token: String, authenticator: inout SoftwareAuthenticator) async throws -> AssertionBody {
        let options = try api.decode(AssertionOptionsView.self, try await api.send(.post, "/v1/break-glass/\(id)/review-challenge", body: verdict, token: token))
        let signed = try authenticator.sign(challenge: options.challenge)
        return AssertionBody(
            ceremonyId: options.ceremonyId, credentialId: Base64URL.encode(authenticator.credentialID),
            authenticatorData: Base64URL.encode(signed.authenticatorData), clientDataJSON: Base64URL.encode(signed.clientDataJSON),
            signature: Base64URL.encode(signed.signature), userHandle: nil
        )
    }

    @Test("with PagerDuty down the credential still comes, the page keeps being retried, the metric counts it and Slack hears of it; once it is back every page arrives once, each resolve after its trigger")
    func pagerDown() async throws {
        try await Self.withGateway(pager: .fail) { harness, pager, slack in try await harness.run { api in
            let carol = try await api.login("carol")
            let response = try await api.send(.post, "/v1/break-glass", body: Self.ask(), token: carol)
            try #require(response.status == .created, "\(String(buffer: response.body))")
            let granted = try api.decode(BreakGlassGrantedView.self, response)
            #expect(granted.certificate != nil && granted.pages.map(\.state) == ["pending"])
            try await Self.awaitReceived(slack, count: 1, harness)
            #expect(slack.received.first?.text.contains("not delivered") == true)
            let metrics = String(buffer: try await api.send(.get, "/metrics").body)
            #expect(metrics.contains("countersign_break_glass_pages_undelivered_total{channel=\"oncall-pagerduty\"} 1"), "\(metrics)")
            // Down for the whole session: a second grant is paged, the first ends, and every
            // attempt so far is refused.
            let second = try api.decode(BreakGlassGrantedView.self, try await api.send(.post, "/v1/break-glass", body: Self.ask(incident: "INC-43"), token: carol))
            let first = granted.grant.request.id
            #expect(try await api.send(.post, "/v1/break-glass/\(first)/end", body: EndBreakGlassBody(reason: "Worker restarted"), token: carol).status == .ok)
            for _ in 0..<3 {
                harness.clock.advance(by: 600)
                await harness.gateway.dispatchNotifications()
            }
            let refused = pager.received.count
            pager.answer(.accept)
            harness.clock.advance(by: 3600)
            try await Self.awaitReceived(pager, count: refused + 3, harness)
            // The clock stays put from here: moved on, it would lapse the claim of a settlement
            // still being written and send its message again (at least once, as the outbox is).
            var polls = 0
            while try await !harness.gateway.store.outboxMessages(channel: nil, pendingOnly: true, limit: 10).isEmpty, polls < 300 {
                await harness.gateway.dispatchNotifications()
                try await Task.sleep(for: .milliseconds(20))
                polls += 1
            }
            #expect(try await harness.gateway.store.outboxMessages(channel: nil, pendingOnly: true, limit: 10).isEmpty, "every page settled")
            let taken = try Self.events(pager).dropFirst(refused).map { "\($0["event_action"] as? String ?? "?") \($0["dedup_key"] as? String ?? "?")" }
            #expect(taken.sorted() == ["resolve \(first)", "trigger \(first)", "trigger \(second.grant.request.id)"].sorted(), "each page once once it is back: \(taken)")
            #expect(taken.firstIndex(of: "trigger \(first)") ?? .max < taken.firstIndex(of: "resolve \(first)") ?? .min, "the resolve never overtakes its trigger: \(taken)")
        } }
    }
}
