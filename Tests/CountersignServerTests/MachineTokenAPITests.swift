import CountersignAPI
import CountersignCore
import Foundation
import HTTPTypes
import Logging
import Testing

/// Admins make, list and revoke machine tokens for deploy tooling; a machine token never counts
/// as a person, and its secret is shown once and nowhere else.
@Suite("Machine tokens over the API")
struct MachineTokenAPITests {
    static let paymentsBody = CreateMachineTokenBody(name: "ci-payments", scopes: ["deploy:check"], services: ["payments-*"])

    static func create(_ body: CreateMachineTokenBody = paymentsBody, on api: API, as token: String) async throws -> CreatedMachineTokenView {
        let response = try await api.send(.post, "/v1/admin/tokens", body: body, token: token)
        try #require(response.status == .created, "making a token answered \(response.status): \(String(buffer: response.body))")
        return try api.decode(CreatedMachineTokenView.self, response)
    }

    static func listed(on api: API, as token: String) async throws -> [MachineTokenView] {
        try api.decode(MachineTokenListView.self, try await api.send(.get, "/v1/admin/tokens", token: token)).tokens
    }

    static func auditText(on api: API, as token: String) async throws -> String {
        String(buffer: try await api.send(.get, "/v1/audit?limit=1000", token: token).body)
    }

    @Test("an admin makes a token and sees its secret once; the listing and the audit log show what it may do, never the secret")
    func lifecycle() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let erin = try await api.login("erin")
            let created = try await Self.create(CreateMachineTokenBody(
                name: "ci-payments", scopes: ["deploy:consume", "deploy:check"], services: ["payments-*", "web"], expiresInSeconds: 7 * 86400
            ), on: api, as: erin)
            #expect(created.secret.hasPrefix("csm_") && created.secret.utf8.count == 47)
            let now = harness.clock.now()
            #expect(created.token == MachineTokenView(
                name: "ci-payments", state: "active", actor: "machine:ci-payments", scopes: ["deploy:check", "deploy:consume"],
                services: ["payments-*", "web"], createdBy: "erin", createdAt: now.truncatedToMilliseconds,
                expiresAt: now.addingTimeInterval(7 * 86400).truncatedToMilliseconds, revokedAt: nil, revokedBy: nil
            ))
            let defaulted = try await Self.create(CreateMachineTokenBody(name: "ci-web", scopes: ["deploy:check"]), on: api, as: erin)
            #expect(defaulted.token.expiresAt == now.addingTimeInterval(90 * 86400).truncatedToMilliseconds)
            #expect(defaulted.token.services.isEmpty)

            let listing = try await api.send(.get, "/v1/admin/tokens", token: erin)
            #expect(listing.status == .ok)
            #expect(try api.decode(MachineTokenListView.self, listing).tokens == [created.token, defaulted.token])
            let listed = String(buffer: listing.body)
            #expect(!listed.contains("csm_") && !listed.contains("secret") && !listed.contains("hash"), "\(listed)")

            let audit = try await Self.auditText(on: api, as: erin)
            #expect(audit.contains("machine_token.created") && audit.contains("machine:ci-payments"))
            #expect(!audit.contains(String(created.secret.dropFirst(4).prefix(12))) && !audit.contains(String(defaulted.secret.dropFirst(4).prefix(12))))
        }
    }

    @Test("revoking is audited once; asking again answers the same revocation and records nothing")
    func revocation() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let erin = try await api.login("erin")
            _ = try await Self.create(on: api, as: erin)
            harness.clock.advance(by: 600)
            let first = try await api.send(.post, "/v1/admin/tokens/ci-payments/revoke", token: erin)
            #expect(first.status == .ok)
            let revoked = try api.decode(MachineTokenView.self, first)
            #expect(revoked.state == "revoked" && revoked.revokedBy == "erin" && revoked.revokedAt == harness.clock.now().truncatedToMilliseconds)
            harness.clock.advance(by: 600)
            let again = try await api.send(.post, "/v1/admin/tokens/ci%2Dpayments/revoke", token: erin)
            #expect(again.status == .ok, "percent-encoded, the same name")
            #expect(try api.decode(MachineTokenView.self, again) == revoked)
            let events = try api.decode(AuditPageView.self, try await api.send(.get, "/v1/audit?limit=1000", token: erin)).events
            let revocations = events.filter { $0.action == "machine_token.revoked" }
            #expect(revocations.count == 1)
            #expect(revocations.first?.actor == "erin" && revocations.first?.subject == "machine:ci-payments")

            for name in ["ci-nobody", "CI-PAYMENTS", String(repeating: "a", count: 300), "machine%3Aci-payments", "ci-payments%", "%E2%80%AEci"] {
                let missing = try await api.send(.post, "/v1/admin/tokens/\(name)/revoke", token: erin)
                #expect(missing.status == .notFound, "\(name)")
                #expect(try api.errorCode(missing) == APIErrorCode.notFound)
            }
        }
    }

    @Test("a name is taken once: by a live token, and by a revoked one")
    func duplicateNames() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let erin = try await api.login("erin")
            _ = try await Self.create(on: api, as: erin)
            let taken = try await api.send(.post, "/v1/admin/tokens", body: Self.paymentsBody, token: erin)
            #expect(taken.status == .conflict)
            #expect(try api.errorCode(taken) == APIErrorCode.machineTokenNameTaken)
            _ = try await api.send(.post, "/v1/admin/tokens/ci-payments/revoke", token: erin)
            let stillTaken = try await api.send(.post, "/v1/admin/tokens", body: Self.paymentsBody, token: erin)
            #expect(stillTaken.status == .conflict)
            #expect(try api.errorCode(stillTaken) == APIErrorCode.machineTokenNameTaken)
            let listed = try await Self.listed(on: api, as: erin)
            #expect(listed.map(\.name) == ["ci-payments"])
        }
    }

    @Test("only admins make, list and revoke tokens; without a session, nobody")
    func onlyAdmins() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let erin = try await api.login("erin")
            _ = try await Self.create(on: api, as: erin)
            let carol = try await api.login("carol")
            let attempts: [(HTTPRequest.Method, String, CreateMachineTokenBody?)] = [
                (.post, "/v1/admin/tokens", CreateMachineTokenBody(name: "carols", scopes: ["deploy:check"])),
                // Refused before the body is judged: a non-admin learns nothing of what would pass.
                (.post, "/v1/admin/tokens", CreateMachineTokenBody(name: "BAD NAME", scopes: ["deploy:everything"])),
                (.get, "/v1/admin/tokens", nil),
                (.post, "/v1/admin/tokens/ci-payments/revoke", nil),
            ]
            for (method, path, body) in attempts {
                let refused = try await api.send(method, path, body: body, token: carol)
                #expect(refused.status == .forbidden, "\(method) \(path)")
                #expect(try api.errorCode(refused) == "forbidden")
                let anonymous = try await api.send(method, path, body: body)
                #expect(anonymous.status == .unauthorized, "\(method) \(path)")
                #expect(try api.errorCode(anonymous) == APIErrorCode.unauthenticated)
            }
            let listed = try await Self.listed(on: api, as: erin)
            #expect(listed.map(\.state) == ["active"], "carol revoked nothing")
        }
    }

    @Test("a body out of its bounds is refused with a named code, and makes nothing")
    func boundedBodies() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let erin = try await api.login("erin")
            let invalid: [(String, CreateMachineTokenBody)] = [
                ("an unknown scope", CreateMachineTokenBody(name: "ci", scopes: ["deploy:everything"])),
                ("no scope", CreateMachineTokenBody(name: "ci", scopes: [])),
                ("a scope twice", CreateMachineTokenBody(name: "ci", scopes: ["deploy:check", "deploy:check"])),
                ("a name of another shape", CreateMachineTokenBody(name: "CI Payments", scopes: ["deploy:check"])),
                ("a name in the actor namespace", CreateMachineTokenBody(name: "machine:ci", scopes: ["deploy:check"])),
                ("a pattern that can match no service", CreateMachineTokenBody(name: "ci", scopes: ["deploy:check"], services: ["Payments-*"])),
                ("a malformed pattern", CreateMachineTokenBody(name: "ci", scopes: ["deploy:check"], services: ["payments-[a"])),
                ("too many patterns", CreateMachineTokenBody(name: "ci", scopes: ["deploy:check"], services: (0..<17).map { "web-\($0)" })),
                ("a lifetime past a year", CreateMachineTokenBody(name: "ci", scopes: ["deploy:check"], expiresInSeconds: 366 * 86400)),
                ("a lifetime of nothing", CreateMachineTokenBody(name: "ci", scopes: ["deploy:check"], expiresInSeconds: 0)),
                ("a negative lifetime", CreateMachineTokenBody(name: "ci", scopes: ["deploy:check"], expiresInSeconds: -1)),
            ]
            for (description, body) in invalid {
                let refused = try await api.send(.post, "/v1/admin/tokens", body: body, token: erin)
                #expect(refused.status == .badRequest, "\(description)")
                #expect(try api.errorCode(refused) == "invalid_field", "\(description)")
            }
            let malformed: [(String, String)] = [
                ("not JSON", "{"), ("a field twice", #"{"name":"ci","name":"cd","scopes":["deploy:check"]}"#),
                ("no scopes", #"{"name":"ci"}"#), ("scopes of the wrong type", #"{"name":"ci","scopes":"deploy:check"}"#),
                ("a lifetime past any integer", #"{"name":"ci","scopes":["deploy:check"],"expires_in_seconds":1e400}"#),
                ("a fractional lifetime", #"{"name":"ci","scopes":["deploy:check"],"expires_in_seconds":1.5}"#),
            ]
            for (description, text) in malformed {
                let refused = try await api.raw(.post, "/v1/admin/tokens", bytes: Array(text.utf8), token: erin)
                #expect(refused.status == .badRequest, "\(description)")
                #expect(try api.errorCode(refused) == APIErrorCode.malformedBody, "\(description)")
            }
            let huge = #"{"name":"ci","scopes":["deploy:check"],"services":[""# + String(repeating: "a", count: 70 * 1024) + #""]}"#
            let tooLarge = try await api.raw(.post, "/v1/admin/tokens", bytes: Array(huge.utf8), token: erin)
            #expect(tooLarge.status == .contentTooLarge)
            let notJSON = try await api.raw(.post, "/v1/admin/tokens", bytes: Array("name=ci".utf8), token: erin, contentType: "application/x-www-form-urlencoded")
            #expect(notJSON.status == .unsupportedMediaType)
            #expect(try await Self.listed(on: api, as: erin).isEmpty)
        }
    }

    @Test("a machine token is refused, by name, on every route that acts for a person")
    func refusedOnHumanRoutes() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let erin = try await api.login("erin")
            let secret = try await Self.create(on: api, as: erin).secret
            // The deploy gate is the one route meant for machine tokens.
            let routes = harness.gateway.registeredRoutes.filter { $0.path != "/v1/deploys/check" }
            var checked = 0
            for route in routes {
                let method = HTTPRequest.Method(route.method) ?? .get
                let path = route.path
                    .replacingOccurrences(of: "{id}", with: "0123456789abcdefghjk").replacingOccurrences(of: "{name}", with: "ci-payments")
                    .replacingOccurrences(of: "{credential}", with: "AAAA").replacingOccurrences(of: "{user}", with: "alice")
                    .replacingOccurrences(of: "{seq}", with: "0")
                let body: String? = method == .get || method == .delete ? nil : "{}"
                // A route that answers 401 without a token needs a person: it must refuse the machine.
                guard try await api.send(method, path, body: body).status == .unauthorized else { continue }
                let refused = try await api.send(method, path, body: body, token: secret)
                #expect(refused.status == .forbidden, "\(route.method) \(route.path) answered \(refused.status)")
                #expect(try api.errorCode(refused) == APIErrorCode.machineTokenRefused, "\(route.method) \(route.path)")
                #expect(!String(buffer: refused.body).contains(secret))
                checked += 1
            }
            #expect(checked >= 20, "requests, approvals, keys, audit, admin and session routes were all tried")
            let listed = try await Self.listed(on: api, as: erin)
            #expect(listed.map(\.name) == ["ci-payments"], "the machine made no token of its own")
        }
    }

    @Test("wrong, garbled and oversized bearer values are refused with a named code, never a crash")
    func garbledTokens() async throws {
        let harness = try await GatewayHarness.make()
        try await harness.run { api in
            let erin = try await api.login("erin")
            let secret = try await Self.create(on: api, as: erin).secret
            let values = [
                "csm_", "csm_" + String(repeating: "A", count: 43), String(secret.dropLast()), secret + "A",
                secret.replacingOccurrences(of: "csm_", with: "cs1_"), "csm_" + String(repeating: "é", count: 43),
                "csm_" + String(repeating: "A", count: 4000), "\(secret) extra", "Basic \(secret)",
            ]
            for value in values {
                let header = value.hasPrefix("Basic ") || value.contains(" ") ? value : "Bearer \(value)"
                let response = try await api.send(.get, "/v1/whoami", headers: [.authorization: header])
                #expect([.unauthorized, .forbidden].contains(response.status), "\(value.prefix(40))")
                let code = try api.errorCode(response)
                #expect([APIErrorCode.unauthenticated, APIErrorCode.machineTokenRefused].contains(code), "\(value.prefix(40)): \(code)")
            }
            let healthy = try await api.send(.get, "/healthz")
            #expect(healthy.status == .ok, "the gateway still answers")
        }
    }

    @Test("the secret reaches no log line, however the token is used")
    func secretStaysOutOfLogs() async throws {
        let log = CapturedLog()
        var logger = Logger(label: "countersignd-test") { _ in CapturingLogHandler(log: log) }
        logger.logLevel = .trace
        let harness = try await GatewayHarness.make(logger: logger)
        try await harness.run { api in
            let erin = try await api.login("erin")
            let secret = try await Self.create(on: api, as: erin).secret
            _ = try await api.send(.get, "/v1/whoami", token: secret)
            _ = try await api.send(.post, "/v1/requests", body: CreateRequestBody(
                kind: "deploy", service: "payments-api", environment: "production", commit: API.commit, reason: "ship it", ticket: "CHG-1"
            ), token: secret)
            _ = try await api.send(.post, "/v1/admin/tokens/ci-payments/revoke", token: erin)
            _ = try await api.send(.get, "/v1/audit", token: secret)
            let lines = log.lines
            #expect(!lines.isEmpty, "trace logging was on")
            #expect(!lines.contains { $0.contains(String(secret.dropFirst(4).prefix(12))) })
        }
    }
}

/// Every line a logger wrote, with its metadata, for tests that look for what must not be there.
final class CapturedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []

    func append(_ line: String) { lock.withLock { stored.append(line) } }
    var lines: [String] { lock.withLock { stored } }
}

struct CapturingLogHandler: LogHandler {
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        log.append("\(event.level) \(event.message) \(merged)")
    }
}
