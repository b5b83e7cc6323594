import CountersignAPI
import CountersignCore
import CountersignServer
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Logging
import NIOCore
import TestSupport
import Testing

/// A real gateway for one test: a fresh data directory with its SQLite file, the repository's
/// example policies (or a copy to edit), the demo PAM users through a real PAM configuration
/// directory, and a manual clock. Requests go over loopback HTTP.
struct GatewayHarness {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let examplePolicies = repositoryRoot.appendingPathComponent("policies")

    let directory: URL
    let clock: ManualClock
    let gateway: Gateway
    let configuration: GatewayConfiguration

    /// - Parameter policies: nil for the example policies with session approvals allowed on
    ///   payments production deploys (`sessionApprovalPolicies`).
    /// - Parameter passwordVerifier: nil for real PAM with the demo users.
    static func make(
        policies: URL? = nil,
        passwordVerifier: (any PasswordVerifier)? = nil,
        clock: ManualClock = ManualClock(),
        logger: Logger? = nil,
        _ configure: (inout GatewayConfiguration) -> Void = { _ in }
    ) async throws -> GatewayHarness {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let policies = try policies ?? sessionApprovalPolicies(in: directory)
        let pam = directory.appendingPathComponent("pam")
        try await blocking { try run(repositoryRoot.appendingPathComponent("scripts/demo-pam.sh").path, [pam.path]) }
        var configuration = GatewayConfiguration(
            port: 0, dataDirectory: directory.appendingPathComponent("data"), policyDirectory: policies,
            pamService: "countersign", pamConfigDirectory: pam.path,
            // Tests sweep explicitly (`sweepExpired`): a background sweep on its real-time timer
            // would race a test that has just moved the manual clock past a deadline.
            expirySweepInterval: 24 * 3600
        )
        // The test client holds one connection and never reconnects; a test starved of CPU by
        // its neighbours must not lose it to the header or idle timeout (SlowClientTests sets
        // short ones itself).
        configuration.connections.headerTimeout = .seconds(600)
        configuration.connections.idleTimeout = .seconds(600)
        configure(&configuration)
        var quiet = Logger(label: "countersignd-test")
        quiet.logLevel = .warning
        let logger = logger ?? quiet
        let gateway = try await buildGateway(configuration: configuration, clock: clock, passwordVerifier: passwordVerifier, logger: logger)
        return GatewayHarness(directory: directory, clock: clock, gateway: gateway, configuration: configuration)
    }

    /// The example policies, except that payments production deploys accept session approvals.
    /// Most API tests drive that two-clause rule with session approvals; the shipped rule takes
    /// keys only, which `HardwareKeyAPITests` and the browser tests exercise. One comment line
    /// becomes `hardware_key: false`, so every other line keeps its number.
    static func sessionApprovalPolicies(in directory: URL) throws -> URL {
        let copy = directory.appendingPathComponent("policies")
        try FileManager.default.copyItem(at: examplePolicies, to: copy)
        let rules = copy.appendingPathComponent("deploy.yaml")
        let text = try String(contentsOf: rules, encoding: .utf8)
        guard text.contains(sessionApprovalMarker) else {
            throw HarnessError("policies/deploy.yaml no longer has the line the tests turn into hardware_key: false")
        }
        try text.replacingOccurrences(of: sessionApprovalMarker, with: "    hardware_key: false\n").write(to: rules, atomically: true, encoding: .utf8)
        return copy
    }

    static let sessionApprovalMarker = "    # Rules that accept a plain session approval say `hardware_key: false`, as staging does.\n"

    /// The example policies with two SSH rules in front: one whose certificates force a command,
    /// one whose certificates work only from a network the tests never connect from.
    static func certificateTermsPolicies() throws -> URL {
        let policies = try editablePolicies()
        let file = policies.appendingPathComponent("ssh.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        let rules = """
            rules:
              - name: forced-ssh
                kind: ssh
                match: { host: "forced-*.prod.internal" }
                requesters: [engineering]
                approvals: [{ count: 1, group: sre }]
                hardware_key: false
                certificate: { lifetime: 10m, force_command: "echo forced-by-policy", permit: [port_forwarding] }
              - name: fenced-ssh
                kind: ssh
                match: { host: "fenced-*.prod.internal" }
                requesters: [engineering]
                approvals: [{ count: 1, group: sre }]
                hardware_key: false
                certificate: { source_address: [192.0.2.0/24, "2001:db8::/32"] }

            """
        guard let start = text.range(of: "rules:\n") else { throw HarnessError("policies/ssh.yaml has no rules: line") }
        try text.replacingCharacters(in: start, with: rules).write(to: file, atomically: true, encoding: .utf8)
        return policies
    }

    /// The example policies with a recorded SSH rule in front, for `rec-*.prod.internal`: one
    /// SRE's session approval, and every session recorded with what the user types.
    static func recordedSessionPolicies() throws -> URL {
        let policies = try editablePolicies()
        try PolicyRules.prepend(PolicyRules.recordedSSH, to: policies.appendingPathComponent("ssh.yaml"))
        return policies
    }

    /// The example policies with a single-use deploy rule in front, for `ledger-*` in
    /// production: one approval by an SRE with a session covers one rollout.
    static func singleUsePolicies() throws -> URL {
        let policies = try editablePolicies()
        let file = policies.appendingPathComponent("deploy.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        let rules = """
            rules:
              - name: ledger-production-deploy
                kind: deploy
                match: { service: "ledger-*", environment: production }
                requesters: [engineering]
                approvals: [{ count: 1, group: sre }]
                hardware_key: false
                single_use: true

            """
        guard let start = text.range(of: "rules:\n") else { throw HarnessError("policies/deploy.yaml has no rules: line") }
        try text.replacingCharacters(in: start, with: rules).write(to: file, atomically: true, encoding: .utf8)
        return policies
    }

    /// Copies the example policies somewhere a test may edit them.
    static func editablePolicies() throws -> URL {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-policies-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: examplePolicies, to: copy)
        return copy
    }

    func run(_ body: @Sendable (API) async throws -> Void) async throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try await gateway.application.test(.live) { client in
            try await body(API(client: client))
        }
    }

    /// A `ChildProcess`, not Foundation's Process, whose `waitUntilExit` can hang under load.
    static func run(_ executable: String, _ arguments: [String]) throws {
        let (status, _, error) = try ChildProcess.run([executable] + arguments, input: nil, environment: nil, timeout: 60, in: NSTemporaryDirectory())
        guard status == 0 else { throw HarnessError("\(executable) exited \(status): \(error)") }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The JSON API as a test speaks it.
struct API: Sendable {
    let client: any TestClientProtocol

    static let commit = "0123456789abcdef0123456789abcdef01234567"

    func login(_ user: String, password: String? = nil) async throws -> String {
        let response = try await send(.post, "/v1/login", body: LoginBody(username: user, password: password ?? "\(user)-demo-pw"))
        try #require(response.status == .ok, "login of \(user) answered \(response.status)")
        return try decode(LoginResponse.self, response).token
    }

    func send(_ method: HTTPRequest.Method, _ path: String, body: (some Encodable)? = Optional<String>.none, token: String? = nil, headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = headers
        if let token { fields[.authorization] = "Bearer \(token)" }
        var buffer: ByteBuffer?
        if let body {
            fields[.contentType] = fields[.contentType] ?? "application/json"
            buffer = ByteBuffer(bytes: try APICoding.makeEncoder().encode(body))
        }
        return try await client.execute(uri: path, method: method, headers: fields, body: buffer)
    }

    func raw(_ method: HTTPRequest.Method, _ path: String, bytes: [UInt8], token: String?, contentType: String = "application/json") async throws -> TestResponse {
        var fields = HTTPFields()
        if let token { fields[.authorization] = "Bearer \(token)" }
        fields[.contentType] = contentType
        return try await client.execute(uri: path, method: method, headers: fields, body: ByteBuffer(bytes: bytes))
    }

    func decode<Value: Decodable>(_ type: Value.Type, _ response: TestResponse) throws -> Value {
        try APICoding.makeDecoder().decode(Value.self, from: Data(buffer: response.body))
    }

    func errorCode(_ response: TestResponse) throws -> String {
        try decode(APIErrorBody.self, response).error.code
    }

    /// Files a payments production deploy (needs 1 payments-owners AND 1 sre; no hardware key).
    func filePaymentsDeploy(as token: String) async throws -> RequestView {
        let response = try await send(.post, "/v1/requests", body: CreateRequestBody(
            kind: "deploy", service: "payments-api", environment: "production", commit: Self.commit,
            reason: "Roll out the settlement rounding fix", ticket: "CHG-1042"
        ), token: token)
        try #require(response.status == .created, "filing answered \(response.status): \(String(buffer: response.body))")
        return try decode(RequestView.self, response)
    }

    func act(_ action: String, _ id: String, token: String, reason: String? = nil) async throws -> TestResponse {
        try await send(.post, "/v1/requests/\(id)/\(action)", body: reason.map(ReasonBody.init), token: token)
    }
}
