import CountersignAPI
import CountersignStore
import Foundation
import HTTPTypes
import Synchronization
import Testing
import TestSupport
import WebAuthn
import WebAuthnTesting

@testable import CountersignServer

/// The demo passwords while PAM's back end is up; once it is down, every check is unavailable,
/// as PAM answers when its LDAP or SSSD cannot be reached.
final class DirectoryThatGoesDown: PasswordVerifier {
    private let up = Mutex(true)

    func goDown() { up.withLock { $0 = false } }

    func check(username: String, password: String) async -> PasswordCheck {
        guard up.withLock({ $0 }) else { return .unavailable("PAM error 9: authentication service cannot retrieve authentication info") }
        return password == "\(username)-demo-pw" ? .accepted(canonicalUsername: username) : .rejected
    }
}

/// Break-glass without a session: the person names themselves and only the touch of their own
/// enrolled key over the ask proves it, so that an on-call engineer gets in while PAM is down.
@Suite("Break-glass with the enrolled key alone, while PAM is down", .timeLimit(.minutes(3)))
struct BreakGlassKeyAloneTests {
    typealias Fixture = BreakGlassAPITests

    static func ask(user: String?, host: String = "web-1.prod.internal", touch: AssertionBody? = nil) -> BreakGlassBody {
        let ask = Fixture.ask(host: host)
        return BreakGlassBody(
            host: ask.host, login: ask.login, incident: ask.incident, reason: ask.reason, durationSeconds: nil, publicKey: ask.publicKey,
            keyTouch: touch, user: user
        )
    }

    /// A touch of `authenticator` over `ask`, asked for without a session.
    static func touch(_ api: API, _ ask: BreakGlassBody, authenticator: inout SoftwareAuthenticator) async throws -> AssertionBody {
        let response = try await api.send(.post, "/v1/break-glass/key-challenge", body: ask)
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

    static func audit(_ api: API, token: String) async throws -> [AuditEventView] {
        try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?limit=200", token: token)).events
    }

    @Test("with PAM down, carol's key alone gets her the recorded certificate; the grant, its page and its audit say so")
    func keyAloneWhilePAMIsDown() async throws {
        let directory = DirectoryThatGoesDown()
        try await Fixture.withGateway(passwords: directory) { harness, pager, _ in try await harness.run { api in
            let carol = try await api.login("carol")
            let erin = try await api.login("erin")
            var carolsKey = SoftwareAuthenticator()
            _ = try await HardwareKeyAPITests.enrol(api, "carol", token: carol, admin: erin, authenticator: carolsKey)
            directory.goDown()
            let login = try await api.send(.post, "/v1/login", body: LoginBody(username: "carol", password: "carol-demo-pw"))
            #expect(login.status == .serviceUnavailable, "no fresh login while PAM is down")

            let touch = try await Self.touch(api, Self.ask(user: "carol"), authenticator: &carolsKey)
            let response = try await api.send(.post, "/v1/break-glass", body: Self.ask(user: "carol", touch: touch))
            try #require(response.status == .created, "\(String(buffer: response.body))")
            let granted = try api.decode(BreakGlassGrantedView.self, response)
            #expect(granted.grant.request.requester == "carol" && granted.grant.request.state == "approved" && granted.grant.keyTouched)
            #expect(granted.certificate?.principals == ["deploy"] && granted.certificate?.recordingId != nil)
            #expect(granted.pages.map(\.state) == ["delivered"] && pager.received.count == 1)
            let events = try await Self.audit(api, token: erin)
            let grantedEvent = try #require(events.first { $0.action == "break_glass.granted" })
            #expect(grantedEvent.actor == "carol" && grantedEvent.details["proof"] == "key_alone" && grantedEvent.details["key_touched"] == "true")
        } }
    }

    @Test("refused without a key's proof: no touch, someone else's key, a touch over another ask, no enrolled key, a bad name, a stale token, another name than the session's")
    func refusals() async throws {
        try await Fixture.withGateway { harness, _, _ in try await harness.run { api in
            let carol = try await api.login("carol")
            let erin = try await api.login("erin")
            var carolsKey = SoftwareAuthenticator()
            var erinsKey = SoftwareAuthenticator()
            _ = try await HardwareKeyAPITests.enrol(api, "carol", token: carol, admin: erin, authenticator: carolsKey)
            _ = try await HardwareKeyAPITests.enrol(api, "erin", token: erin, admin: erin, authenticator: erinsKey)

            let untouched = try await api.send(.post, "/v1/break-glass", body: Self.ask(user: "carol"))
            let untouchedCode = try api.errorCode(untouched)
            #expect(untouched.status == .unauthorized && untouchedCode == "unauthenticated")

            // erin's key answering a challenge issued for carol proves nothing about carol.
            var stolen = try await Self.touch(api, Self.ask(user: "carol"), authenticator: &carolsKey)
            let erinsTouch = try await Self.touch(api, Self.ask(user: "erin"), authenticator: &erinsKey)
            stolen = AssertionBody(
                ceremonyId: stolen.ceremonyId, credentialId: erinsTouch.credentialId, authenticatorData: erinsTouch.authenticatorData,
                clientDataJSON: erinsTouch.clientDataJSON, signature: erinsTouch.signature, userHandle: nil
            )
            #expect(try await api.send(.post, "/v1/break-glass", body: Self.ask(user: "carol", touch: stolen)).status == .forbidden)

            // A touch over web-1 does not open web-2.
            let overWeb1 = try await Self.touch(api, Self.ask(user: "carol"), authenticator: &carolsKey)
            #expect(try await api.send(.post, "/v1/break-glass", body: Self.ask(user: "carol", host: "web-2.prod.internal", touch: overWeb1)).status == .forbidden)

            let keyless = try await api.send(.post, "/v1/break-glass/key-challenge", body: Self.ask(user: "dave"))
            let keylessCode = try api.errorCode(keyless)
            #expect(keyless.status == .conflict && keylessCode == "no_enrolled_key")
            #expect(try await api.send(.post, "/v1/break-glass/key-challenge", body: Self.ask(user: "../carol")).status == .badRequest)
            let stale = try await api.send(.post, "/v1/break-glass/key-challenge", body: Self.ask(user: "carol"), token: "cs1_" + String(repeating: "A", count: 43))
            #expect(stale.status == .unauthorized, "a stale token is refused, not passed over for the key alone")
            let other = try await api.send(.post, "/v1/break-glass/key-challenge", body: Self.ask(user: "erin"), token: carol)
            #expect(other.status == .badRequest, "\(String(buffer: other.body))")
            let same = try await api.send(.post, "/v1/break-glass/key-challenge", body: Self.ask(user: "carol"), token: carol)
            #expect(same.status == .ok, "naming oneself with a session is allowed")

            #expect(try await harness.gateway.store.requests(try RequestQuery(limit: 10)).isEmpty, "nothing was granted")
            let refusals = try await Self.audit(api, token: erin).filter { $0.action == "break_glass.refused" }
            #expect(refusals.count >= 2 && refusals.allSatisfy { $0.actor == "carol" }, "\(refusals.map(\.details))")
        } }
    }

    @Test("attempts without a session count under the login limits: a guesser meets 429 with Retry-After, and nothing is granted")
    func throttled() async throws {
        try await Fixture.withGateway { harness, _, _ in try await harness.run { api in
            let carol = try await api.login("carol")
            let erin = try await api.login("erin")
            _ = try await HardwareKeyAPITests.enrol(api, "carol", token: carol, admin: erin, authenticator: SoftwareAuthenticator())
            var impostor = SoftwareAuthenticator()
            var statuses: [HTTPResponse.Status] = []
            var retryAfter: String?
            for _ in 0..<8 {
                let challenge = try await api.send(.post, "/v1/break-glass/key-challenge", body: Self.ask(user: "carol"))
                statuses.append(challenge.status)
                guard challenge.status == .ok else {
                    retryAfter = challenge.headers[.retryAfter]
                    break
                }
                let options = try api.decode(AssertionOptionsView.self, challenge)
                let signed = try impostor.sign(challenge: options.challenge)
                let guess = AssertionBody(
                    ceremonyId: options.ceremonyId, credentialId: Base64URL.encode(impostor.credentialID),
                    authenticatorData: Base64URL.encode(signed.authenticatorData), clientDataJSON: Base64URL.encode(signed.clientDataJSON),
                    signature: Base64URL.encode(signed.signature), userHandle: nil
                )
                let answered = try await api.send(.post, "/v1/break-glass", body: Self.ask(user: "carol", touch: guess))
                statuses.append(answered.status)
                if answered.status == .tooManyRequests {
                    retryAfter = answered.headers[.retryAfter]
                    break
                }
            }
            #expect(statuses.last == .tooManyRequests, "\(statuses)")
            #expect(statuses.dropLast().allSatisfy { $0 == .ok || $0 == .forbidden }, "\(statuses)")
            #expect(retryAfter.flatMap(Int.init).map { $0 > 0 } == true)
            #expect(try await harness.gateway.store.requests(try RequestQuery(limit: 10)).isEmpty)
        } }
    }
}
