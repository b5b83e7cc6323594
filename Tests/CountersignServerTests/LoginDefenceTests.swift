import CountersignAPI
import CountersignCore
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Synchronization
import Testing

@testable import CountersignServer

/// A password check that counts how often it is asked, answering like PAM after a short pause
/// (so that parallel requests really overlap inside it).
final class CountingVerifier: PasswordVerifier {
    let calls = Mutex(0)
    let answer: @Sendable (_ username: String, _ password: String) -> PasswordCheck

    init(_ answer: @escaping @Sendable (_ username: String, _ password: String) -> PasswordCheck = { _, _ in .rejected }) {
        self.answer = answer
    }

    var count: Int { calls.withLock { $0 } }

    func check(username: String, password: String) async -> PasswordCheck {
        calls.withLock { $0 += 1 }
        try? await Task.sleep(for: .milliseconds(50))
        return answer(username, password)
    }

    /// The demo passwords, for a directory that ignores case and answers with the lower-case name.
    static func caseInsensitiveDirectory() -> CountingVerifier {
        CountingVerifier { username, password in
            let canonical = username.lowercased()
            return password == "\(canonical)-demo-pw" ? .accepted(canonicalUsername: canonical) : .rejected
        }
    }
}

extension GatewayHarness {
    /// Like `run`, over a pool of connections (AsyncHTTPClient), so that requests really run at once.
    func runConcurrently(_ body: @Sendable (API) async throws -> Void) async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try await gateway.application.test(.ahc(.http)) { client in
            try await body(API(client: client))
        }
    }

    func auditEvents(_ action: String) throws -> [(count: Int, details: [String: String])] {
        let database = try DatabaseQueue(path: configuration.databasePath, configuration: { var c = Configuration(); c.readonly = true; return c }())
        let rows = try database.read { db in try Row.fetchAll(db, sql: "SELECT details FROM audit_events WHERE action = ?", arguments: [action]) }
        return try rows.map { row in
            let json: String = row["details"]
            let details = try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
            return (Int(details["count"] ?? "") ?? 0, details)
        }
    }

    func heartbeats() throws -> Int {
        let database = try DatabaseQueue(path: configuration.databasePath, configuration: { var c = Configuration(); c.readonly = true; return c }())
        return try database.read { db in try Int.fetchOne(db, sql: "SELECT beats FROM store_heartbeat") } ?? 0
    }
}

extension API {
    func attempt(_ username: String, _ password: String, from forwarded: String? = nil) async throws -> TestResponse {
        var headers = HTTPFields()
        if let forwarded { headers[ClientAddressMiddleware.forwardedFor] = forwarded }
        return try await send(.post, "/v1/login", body: LoginBody(username: username, password: password), headers: headers)
    }
}

@Suite("Login throttle under a burst")
struct LoginBurstTests {
    @Test("60 parallel wrong passwords for one user: at most the limit reach the password check, the rest get 429")
    func burstIsCountedBeforeThePasswordCheck() async throws {
        let verifier = CountingVerifier()
        let harness = try await GatewayHarness.make(passwordVerifier: verifier)
        try await harness.run { (api: API) async throws in
            let burst = RequestBurst(port: try #require(api.client.port))
            let statuses = try await burst.statuses(60, .POST, "/v1/login") { LoginBody(username: "alice", password: "guess-\($0)") }
            #expect(verifier.count <= 5)
            #expect(statuses.filter { $0 == .unauthorized }.count == verifier.count)
            #expect(statuses.allSatisfy { $0 == .unauthorized || $0 == .tooManyRequests })
        }
    }

    @Test("While one check for a user runs, another for the same user is refused at once with Retry-After")
    func oneCheckPerUserAtATime() async throws {
        let gate = GatedVerifier()
        let harness = try await GatewayHarness.make(passwordVerifier: gate)
        try await harness.runConcurrently { (api: API) async throws in
            async let first = api.attempt("alice", "guess-1")
            await gate.waitUntilEntered()
            let second = try await api.attempt("ALICE", "guess-2")
            #expect(second.status == .tooManyRequests)
            #expect(Int(second.headers[.retryAfter] ?? "") ?? 0 > 0)
            #expect(try api.errorCode(second) == APIErrorCode.rateLimited)
            gate.open()
            #expect(try await first.status == .unauthorized)
            #expect(gate.calls.withLock { $0 } == 1)
        }
    }
}

/// A password check that holds the first caller until `open()`.
final class GatedVerifier: PasswordVerifier {
    let calls = Mutex(0)
    private let entered = AsyncStream<Void>.makeStream()
    private let released = AsyncStream<Void>.makeStream()

    func check(username: String, password: String) async -> PasswordCheck {
        calls.withLock { $0 += 1 }
        entered.continuation.yield()
        for await _ in released.stream { break }
        return .rejected
    }

    func waitUntilEntered() async {
        for await _ in entered.stream { break }
    }

    func open() {
        released.continuation.finish()
    }
}

@Suite("One person, one name")
struct CanonicalUsernameTests {
    @Test("Where the directory ignores case, another spelling of a user is refused with the name to use, and audited")
    func otherSpellingIsRefused() async throws {
        let harness = try await GatewayHarness.make(passwordVerifier: CountingVerifier.caseInsensitiveDirectory())
        try await harness.run { (api: API) async throws in
            let shouted = try await api.attempt("ALICE", "alice-demo-pw")
            #expect(shouted.status == .forbidden)
            #expect(try api.errorCode(shouted) == APIErrorCode.noncanonicalUsername)
            #expect(try api.decode(APIErrorBody.self, shouted).error.message.contains(#""alice""#))
            #expect(try await api.attempt("Alice", "alice-demo-pw").status == .forbidden)

            let token = try await api.login("alice")
            let identity = try api.decode(IdentityView.self, try await api.send(.get, "/v1/whoami", token: token))
            #expect(identity.username == "alice")
            let refusals = try harness.auditEvents("login.failed")
            #expect(refusals.contains { $0.details["reason"] == "noncanonical_username" && $0.details["canonical_username"] == "alice" })
        }
    }

    @Test("Spellings of one name share one throttle budget")
    func spellingsShareTheBudget() async throws {
        let harness = try await GatewayHarness.make(passwordVerifier: CountingVerifier.caseInsensitiveDirectory()) {
            $0.failedLoginsPerUser = .init(failures: 2, window: 600)
        }
        try await harness.run { (api: API) async throws in
            #expect(try await api.attempt("alice", "x").status == .unauthorized)
            #expect(try await api.attempt("ALICE", "x").status == .unauthorized)
            #expect(try await api.attempt("aLiCe", "x").status == .tooManyRequests)
        }
    }
}

@Suite("Refused logins are audited in aggregate")
struct LoginRefusalAuditTests {
    @Test("Many refusals leave a bounded number of audit rows whose counts add up to every refusal")
    func refusalsAreCountedNotWrittenOneByOne() async throws {
        let harness = try await GatewayHarness.make(passwordVerifier: CountingVerifier.caseInsensitiveDirectory())
        try await harness.run { (api: API) async throws in
            for index in 0..<40 {
                _ = try await api.attempt("alice", "guess-\(index)")
            }
            #expect(try harness.auditEvents("login.failed").count == 1)
            #expect(try harness.auditEvents("login.throttled").count == 1)

            // Once the window has closed, the next audited event carries the tallies out.
            harness.clock.advance(by: SessionAuthority.refusalAuditWindow + 1)
            _ = try await api.login("erin")
            let failed = try harness.auditEvents("login.failed")
            let throttled = try harness.auditEvents("login.throttled")
            #expect(failed.count == 2)
            #expect(throttled.count == 2)
            #expect(failed.map(\.count).reduce(0, +) == 5)
            #expect(throttled.map(\.count).reduce(0, +) == 35)
            #expect(throttled.allSatisfy { $0.details["reason"] == "user_at_address_limit" && $0.details["source_address"] == "127.0.0.1" })

            let metrics = String(buffer: try await api.send(.get, "/metrics").body)
            #expect(metrics.contains(#"countersign_logins_total{outcome="throttled"} 35"#))
        }
    }

    @Test("Refusals still counted at shutdown are audited then")
    func tallyIsAuditedAtShutdown() async throws {
        let harness = try await GatewayHarness.make(passwordVerifier: CountingVerifier())
        let directory = harness.directory
        try await harness.gateway.application.test(.live) { client in
            let api = API(client: client)
            for index in 0..<3 { _ = try await api.attempt("bob", "guess-\(index)") }
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(try harness.auditEvents("login.failed").map(\.count).reduce(0, +) == 3)
        #expect(try harness.auditEvents("login.failed").count == 2)
    }

    @Test("A flood of /readyz proves the database writable once, not once per probe")
    func readinessDoesNotWritePerProbe() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { (api: API) async throws in
            let before = try harness.auditEvents("login.failed").count
            let statuses = try await RequestBurst(port: try #require(api.client.port)).statuses(50, .GET, "/readyz")
            #expect(statuses.allSatisfy { $0 == .ok }, "\(statuses)")
            for _ in 0..<20 { #expect(try await api.send(.get, "/readyz").status == .ok) }
            #expect(try harness.heartbeats() == 1)
            #expect(try harness.auditEvents("login.failed").count == before)

            // The proof is renewed once it is older than its validity.
            harness.clock.advance(by: WritabilityProof.validity + 1)
            #expect(try await api.send(.get, "/readyz").status == .ok)
            #expect(try harness.heartbeats() == 2)
        }
    }
}

@Suite("Client addresses behind a trusted reverse proxy")
struct TrustedProxyTests {
    @Test("X-Forwarded-For from a peer that is not a trusted proxy is ignored")
    func headerIgnoredFromUntrustedPeer() async throws {
        let harness = try await GatewayHarness.make(passwordVerifier: CountingVerifier()) {
            $0.failedLoginsPerAddress = .init(failures: 2, window: 600)
        }
        try await harness.run { (api: API) async throws in
            #expect(try await api.attempt("nobody1", "x", from: "10.0.0.1").status == .unauthorized)
            #expect(try await api.attempt("nobody2", "x", from: "10.0.0.2").status == .unauthorized)
            #expect(try await api.attempt("nobody3", "x", from: "10.0.0.3").status == .tooManyRequests)
            #expect(try harness.auditEvents("login.failed").allSatisfy { $0.details["source_address"] == "127.0.0.1" })
        }
    }

    @Test("X-Forwarded-For from a trusted proxy names the client, for the throttle and the audit log")
    func headerHonouredFromTrustedProxy() async throws {
        let harness = try await GatewayHarness.make(passwordVerifier: CountingVerifier()) {
            $0.failedLoginsPerAddress = .init(failures: 2, window: 600)
            $0.trustedProxies = try! TrustedProxies(parsing: "127.0.0.1, 10.1.0.0/16")
        }
        try await harness.run { (api: API) async throws in
            #expect(try await api.attempt("nobody1", "x", from: "10.0.0.1").status == .unauthorized)
            #expect(try await api.attempt("nobody2", "x", from: "10.0.0.2").status == .unauthorized)
            // Through a second trusted hop, the client is still the one the first proxy saw.
            #expect(try await api.attempt("nobody3", "x", from: "10.0.0.3, 10.1.2.3").status == .unauthorized)
            #expect(try await api.attempt("nobody4", "x", from: "10.0.0.1").status == .unauthorized)
            #expect(try await api.attempt("nobody5", "x", from: "10.0.0.1").status == .tooManyRequests)
            let addresses = Set(try harness.auditEvents("login.failed").compactMap { $0.details["source_address"] })
            #expect(addresses == ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
        }
    }

    @Test("Entries a client writes to the left of what the proxy appended are ignored")
    func spoofedEntriesIgnored() async throws {
        let harness = try await GatewayHarness.make(passwordVerifier: CountingVerifier()) {
            $0.failedLoginsPerAddress = .init(failures: 2, window: 600)
            $0.trustedProxies = try! TrustedProxies(parsing: "127.0.0.1")
        }
        try await harness.run { (api: API) async throws in
            #expect(try await api.attempt("nobody1", "x", from: "192.0.2.1, 10.0.0.9").status == .unauthorized)
            #expect(try await api.attempt("nobody2", "x", from: "192.0.2.2, 10.0.0.9").status == .unauthorized)
            #expect(try await api.attempt("nobody3", "x", from: "not-an-address, 192.0.2.3 ,10.0.0.9").status == .tooManyRequests)
        }
    }

    @Test("While an attacker at one address is throttled for alice, alice logs in from hers")
    func realUserIsNotLockedOutByAnAttacker() async throws {
        let harness = try await GatewayHarness.make(passwordVerifier: CountingVerifier.caseInsensitiveDirectory()) {
            $0.trustedProxies = try! TrustedProxies(parsing: "127.0.0.1")
        }
        try await harness.run { (api: API) async throws in
            for index in 0..<5 {
                #expect(try await api.attempt("alice", "guess-\(index)", from: "203.0.113.66").status == .unauthorized)
            }
            #expect(try await api.attempt("alice", "alice-demo-pw", from: "203.0.113.66").status == .tooManyRequests)
            #expect(try await api.attempt("alice", "alice-demo-pw", from: "198.51.100.7").status == .ok)
        }
    }

    @Test("A guesser spread over many addresses meets the gentler per-user limit")
    func perUserLimitAcrossAddresses() async throws {
        let harness = try await GatewayHarness.make(passwordVerifier: CountingVerifier()) {
            $0.failedLoginsPerUserAcrossAddresses = .init(failures: 3, window: 600)
            $0.trustedProxies = try! TrustedProxies(parsing: "127.0.0.1")
        }
        try await harness.run { (api: API) async throws in
            for index in 1...3 {
                #expect(try await api.attempt("alice", "x", from: "203.0.113.\(index)").status == .unauthorized)
            }
            #expect(try await api.attempt("alice", "x", from: "203.0.113.4").status == .tooManyRequests)
        }
    }

    @Test(
        "The client address is read strictly and falls back to the peer's",
        arguments: [
            ForwardedCase("no header", peer: "127.0.0.1", [], "127.0.0.1"),
            ForwardedCase("one client", peer: "127.0.0.1", ["198.51.100.7"], "198.51.100.7"),
            ForwardedCase("right-most untrusted wins", peer: "127.0.0.1", ["1.1.1.1, 198.51.100.7, 10.1.0.5"], "198.51.100.7"),
            ForwardedCase("several header lines", peer: "127.0.0.1", ["1.1.1.1", "198.51.100.7"], "198.51.100.7"),
            ForwardedCase("malformed where the client should be", peer: "127.0.0.1", ["198.51.100.7, garbage"], "127.0.0.1"),
            ForwardedCase("empty entry", peer: "127.0.0.1", ["198.51.100.7, "], "127.0.0.1"),
            ForwardedCase("port kept by a proxy", peer: "127.0.0.1", ["198.51.100.7:4711"], "198.51.100.7"),
            ForwardedCase("bracketed IPv6 with port", peer: "127.0.0.1", ["[2001:db8::1]:443"], "2001:db8::1"),
            ForwardedCase("IPv6 spelled long", peer: "127.0.0.1", ["2001:0db8:0:0:0:0:0:1"], "2001:db8::1"),
            ForwardedCase("IPv4-mapped IPv6", peer: "127.0.0.1", ["::ffff:198.51.100.7"], "198.51.100.7"),
            ForwardedCase("untrusted peer", peer: "192.0.2.9", ["198.51.100.7"], "192.0.2.9"),
            ForwardedCase("only trusted hops", peer: "127.0.0.1", ["10.1.0.5, 10.1.0.6"], "10.1.0.5"),
            ForwardedCase("oversized, client at the end", peer: "127.0.0.1", [String(repeating: "1.2.3.4, ", count: 3000) + "198.51.100.7"], "198.51.100.7"),
            ForwardedCase("NUL inside", peer: "127.0.0.1", ["198.51.100.7\u{0}"], "127.0.0.1"),
        ]
    )
    func clientAddressResolution(_ example: ForwardedCase) throws {
        let proxies = try TrustedProxies(parsing: "127.0.0.1,10.1.0.0/16")
        #expect(proxies.clientAddress(peer: example.peer, forwardedFor: example.fields) == example.expected)
    }

    @Test("A trusted-proxy list that is not addresses or networks is refused", arguments: ["10.0.0.0/33", "10.0.0.0/+8", "example.com", "::1/129", "10.0.0.1/"])
    func malformedProxyListIsRefused(_ list: String) {
        #expect(throws: TrustedProxyError.self) { try TrustedProxies(parsing: list) }
    }

    @Test("IPv6 clients are throttled per /64, so a fresh address per guess buys nothing")
    func ipv6ThrottleKey() throws {
        let first = try #require(IPAddress("2001:db8:1:2::1"))
        let second = try #require(IPAddress("2001:db8:1:2:ffff::9"))
        #expect(first.throttleKey == second.throttleKey)
        #expect(IPAddress("2001:db8:1:3::1")?.throttleKey != first.throttleKey)
        #expect(IPAddress("198.51.100.7")?.throttleKey == "198.51.100.7")
    }
}

struct ForwardedCase: Sendable, CustomTestStringConvertible {
    let label: String
    let peer: String
    let fields: [String]
    let expected: String
    init(_ label: String, peer: String, _ fields: [String], _ expected: String) {
        self.label = label
        self.peer = peer
        self.fields = fields
        self.expected = expected
    }
    var testDescription: String { label }
}

@Suite("The Authorization header")
struct AuthorizationHeaderTests {
    @Test("The bearer scheme is case-insensitive and may be followed by spaces or tabs")
    func schemeIsCaseInsensitive() async throws {
        try await GatewayHarness.make().run { (api: API) async throws in
            let token = try await api.login("carol")
            for header in ["bearer \(token)", "BEARER \(token)", "Bearer  \t\(token)", " Bearer \(token) "] {
                #expect(try await api.send(.get, "/v1/whoami", headers: [.authorization: header]).status == .ok, "\(header.prefix(9))")
            }
            for header in ["Bearer", "Bearer \(token) extra", "Bearer\(token)", "Basic \(token)", "Bearer " + String(repeating: " ", count: 300) + token] {
                let response = try await api.send(.get, "/v1/whoami", headers: [.authorization: header])
                #expect(response.status == .unauthorized, "\(header.prefix(12))")
                #expect(try api.errorCode(response) == APIErrorCode.unauthenticated)
            }
        }
    }

    @Test(
        "Bearer tokens are read from the header exactly",
        arguments: [
            ("bearer cs1_x", "cs1_x"), ("Bearer\tcs1_x", "cs1_x"), ("bEaReR   cs1_x  ", "cs1_x"),
            ("Bearer", nil), ("Bearer cs1_x cs1_y", nil), ("Token cs1_x", nil), ("", nil),
        ] as [(String, String?)]
    )
    func bearerTokenParsing(header: String, token: String?) {
        #expect(SessionAuthority.bearerToken(inAuthorizationHeader: header) == token)
    }
}

@Suite("The tally of refused logins")
struct LoginRefusalTallyTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func key(_ user: String) -> LoginRefusalTally.Key {
        .init(action: "login.failed", reason: "bad_credentials", user: user, address: "192.0.2.1")
    }

    @Test("The first refusal of a window is audited at once, the rest only when the window closes")
    func firstAtOnceRestCounted() {
        var tally = LoginRefusalTally(window: 60)
        #expect(tally.record(Self.key("alice"), username: "alice", address: "192.0.2.1", at: Self.start).auditNow)
        for second in 1...9 {
            let (auditNow, closed) = tally.record(Self.key("alice"), username: "alice", address: "192.0.2.1", at: Self.start + Double(second))
            #expect(!auditNow && closed.isEmpty)
        }
        #expect(tally.close(dueAt: Self.start + 59).isEmpty)
        let closed = tally.close(dueAt: Self.start + 60)
        #expect(closed.map(\.count) == [9])
        #expect(closed.first?.event(at: Self.start + 60).details["count"] == "9")
        #expect(tally.isEmpty)
    }

    @Test("When the tally is full every open window is audited early: memory stays bounded and nothing is dropped")
    func fullTallyFlushesEverything() {
        var tally = LoginRefusalTally(window: 60, capacity: 2)
        for user in ["a", "b"] {
            _ = tally.record(Self.key(user), username: user, address: "192.0.2.1", at: Self.start)
            _ = tally.record(Self.key(user), username: user, address: "192.0.2.1", at: Self.start + 1)
        }
        let (auditNow, closed) = tally.record(Self.key("c"), username: "c", address: "192.0.2.1", at: Self.start + 2)
        #expect(auditNow)
        #expect(closed.map(\.count).reduce(0, +) == 2)
        #expect(tally.closeAll().isEmpty)
    }

    @Test("Tallies whose append failed are put back and leave with the next flush")
    func reinstatedTalliesAreKept() {
        var tally = LoginRefusalTally(window: 60)
        _ = tally.record(Self.key("alice"), username: "alice", address: "192.0.2.1", at: Self.start)
        _ = tally.record(Self.key("alice"), username: "ALICE", address: "192.0.2.1", at: Self.start + 1)
        let failed = tally.close(dueAt: Self.start + 61)
        tally.reinstate(failed)
        let again = tally.close(dueAt: Self.start + 62)
        #expect(again.map(\.count) == [1])
        #expect(again.first?.event(at: Self.start + 62).actor == "ALICE")
    }
}
