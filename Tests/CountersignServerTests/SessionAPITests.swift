import CountersignAPI
import CountersignServer
import Foundation
import HummingbirdTesting
import Testing

@Suite("Logins, sessions and bearer tokens, through real PAM")
struct SessionAPITests {
    @Test("A demo user logs in with the right password and whoami shows their groups")
    func loginAndWhoami() async throws {
        try await GatewayHarness.make().run { api in
            let token = try await api.login("carol")
            #expect(token.hasPrefix("cs1_") && token.count >= 43 + 4)
            let response = try await api.send(.get, "/v1/whoami", token: token)
            #expect(response.status == .ok)
            let identity = try api.decode(IdentityView.self, response)
            #expect(identity.username == "carol")
            #expect(identity.groups == ["engineering", "payments-owners", "sre"])
            #expect(response.headers[.cacheControl] == "no-store")
        }
    }

    @Test("A wrong password and an unknown user get the same 401 answer")
    func wrongPasswordAndUnknownUser() async throws {
        try await GatewayHarness.make().run { api in
            let wrong = try await api.send(.post, "/v1/login", body: LoginBody(username: "alice", password: "not-her-password"))
            let unknown = try await api.send(.post, "/v1/login", body: LoginBody(username: "mallory", password: "whatever"))
            #expect(wrong.status == .unauthorized)
            #expect(unknown.status == .unauthorized)
            #expect(try api.errorCode(wrong) == APIErrorCode.invalidCredentials)
            #expect(try api.decode(APIErrorBody.self, wrong) == api.decode(APIErrorBody.self, unknown))
            #expect(!String(buffer: wrong.body).contains("not-her-password"))
        }
    }

    @Test("Calls without a token, with a malformed one or a made-up one are refused with 401")
    func missingOrBogusToken() async throws {
        try await GatewayHarness.make().run { api in
            #expect(try await api.send(.get, "/v1/whoami").status == .unauthorized)
            let bogus = try await api.send(.get, "/v1/whoami", headers: [.authorization: "Bearer cs1_madeup"])
            #expect(bogus.status == .unauthorized)
            #expect(try api.errorCode(bogus) == APIErrorCode.unauthenticated)
            #expect(try await api.send(.get, "/v1/whoami", headers: [.authorization: "Basic YWxpY2U6eA=="]).status == .unauthorized)
            let huge = String(repeating: "a", count: 10_000)
            #expect(try await api.send(.get, "/v1/whoami", headers: [.authorization: "Bearer cs1_\(huge)"]).status == .unauthorized)
        }
    }

    @Test("A session token stops working once its lifetime has passed")
    func expiredToken() async throws {
        let harness = try await GatewayHarness.make { $0.sessionLifetime = 3600 }
        try await harness.run { api in
            let token = try await api.login("dave")
            #expect(try await api.send(.get, "/v1/whoami", token: token).status == .ok)
            harness.clock.advance(by: 3601)
            let expired = try await api.send(.get, "/v1/whoami", token: token)
            #expect(expired.status == .unauthorized)
            #expect(try api.errorCode(expired) == APIErrorCode.unauthenticated)
        }
    }

    @Test("Logout revokes the token on the gateway")
    func logoutRevokes() async throws {
        try await GatewayHarness.make().run { api in
            let token = try await api.login("bob")
            #expect(try await api.send(.post, "/v1/logout", token: token).status == .noContent)
            #expect(try await api.send(.get, "/v1/whoami", token: token).status == .unauthorized)
        }
    }

    @Test("Repeated failed logins for a user are throttled with 429 and Retry-After, then allowed again after the window")
    func failedLoginsAreThrottled() async throws {
        let harness = try await GatewayHarness.make { $0.failedLoginsPerUser = .init(failures: 2, window: 600) }
        try await harness.run { api in
            for _ in 0..<2 {
                #expect(try await api.send(.post, "/v1/login", body: LoginBody(username: "alice", password: "guess")).status == .unauthorized)
            }
            // Even the right password is not checked while throttled: guessing gains nothing.
            let throttled = try await api.send(.post, "/v1/login", body: LoginBody(username: "alice", password: "alice-demo-pw"))
            #expect(throttled.status == .tooManyRequests)
            #expect(try api.errorCode(throttled) == APIErrorCode.rateLimited)
            #expect(Int(throttled.headers[.retryAfter] ?? "") ?? 0 > 0)
            // Another user from the same address is not locked out by alice's failures.
            _ = try await api.login("bob")
            harness.clock.advance(by: 601)
            _ = try await api.login("alice")

            let metrics = String(buffer: try await api.send(.get, "/metrics").body)
            #expect(metrics.contains(#"countersign_logins_total{outcome="failed"} 2"#))
            #expect(metrics.contains(#"countersign_logins_total{outcome="throttled"} 1"#))
        }
    }

    @Test("Failed logins from one address are throttled across usernames")
    func failedLoginsPerAddressAreThrottled() async throws {
        let harness = try await GatewayHarness.make { $0.failedLoginsPerAddress = .init(failures: 2, window: 600) }
        try await harness.run { api in
            let first = try await api.send(.post, "/v1/login", body: LoginBody(username: "nobody1", password: "x"))
            let second = try await api.send(.post, "/v1/login", body: LoginBody(username: "nobody2", password: "x"))
            let third = try await api.send(.post, "/v1/login", body: LoginBody(username: "carol", password: "carol-demo-pw"))
            #expect(first.status == .unauthorized)
            #expect(second.status == .unauthorized)
            #expect(third.status == .tooManyRequests)
        }
    }

    @Test("Logins are audited with their outcome and source address, never the password")
    func loginsAreAudited() async throws {
        try await GatewayHarness.make().run { api in
            _ = try await api.send(.post, "/v1/login", body: LoginBody(username: "alice", password: "secret-guess-123"))
            let erin = try await api.login("erin")
            let page = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit", token: erin))
            let failed = try #require(page.events.first { $0.action == "login.failed" })
            #expect(failed.actor == "alice")
            #expect(failed.details["reason"] == "bad_credentials")
            #expect(failed.details["source_address"] != nil)
            #expect(page.events.contains { $0.action == "login.succeeded" && $0.actor == "erin" })
            let everything = String(buffer: try await api.send(.get, "/v1/audit?limit=1000", token: erin).body)
            #expect(!everything.contains("secret-guess-123"))
            #expect(!everything.contains(erin))
        }
    }

    @Test("A login body that is not JSON, too large or missing the password is refused with the precise status")
    func malformedLoginBodies() async throws {
        try await GatewayHarness.make().run { api in
            let notJSON = try await api.raw(.post, "/v1/login", bytes: Array("username=alice".utf8), token: nil)
            #expect(notJSON.status == .badRequest)
            #expect(try api.errorCode(notJSON) == APIErrorCode.malformedBody)
            let missing = try await api.raw(.post, "/v1/login", bytes: Array(#"{"username":"alice"}"#.utf8), token: nil)
            #expect(missing.status == .badRequest)
            #expect(try api.decode(APIErrorBody.self, missing).error.message.contains("password"))
            let huge = try await api.raw(.post, "/v1/login", bytes: Array(repeating: UInt8(ascii: " "), count: 70 * 1024), token: nil)
            #expect(huge.status == .contentTooLarge)
            #expect(try api.errorCode(huge) == APIErrorCode.payloadTooLarge)
            let form = try await api.raw(.post, "/v1/login", bytes: Array("{}".utf8), token: nil, contentType: "text/plain")
            #expect(form.status == .unsupportedMediaType)
        }
    }
}

@Suite("Logging in again")
struct ReloginTests {
    @Test("A client holding a revoked token can still log in again")
    func staleTokenDoesNotBlockLogin() async throws {
        try await GatewayHarness.make().run { api in
            let token = try await api.login("alice")
            _ = try await api.send(.post, "/v1/logout", token: token)
            let again = try await api.send(.post, "/v1/login", body: LoginBody(username: "alice", password: "alice-demo-pw"), token: token)
            #expect(again.status == .ok)
            let stale = try await api.send(.get, "/v1/whoami", token: token)
            #expect(try api.decode(APIErrorBody.self, stale).error.message.contains("log in again"))
        }
    }
}
