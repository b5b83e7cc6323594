import AsyncHTTPClient
import CountersignAPI
import CountersignServer
import Foundation
import Logging
import NIOCore
import WebAuthn
import WebAuthnTesting

/// The whole hardware-key approval over loopback HTTP, through the real server and store (SQLite
/// with synchronous=FULL, every audit append): options, then the signed assertion. Reports p50
/// and p99 latency of one approval alone, then approvals per second with 8 approvers at once.
/// Passwords are not what is measured, so bench users log in through a verifier that accepts
/// them. Usage: countersign-bench-approval [approvals per approver]
struct BenchPasswords: PasswordVerifier {
    func check(username: String, password: String) async -> PasswordCheck { password == "bench" ? .accepted(canonicalUsername: username) : .rejected }
}

let perApprover = max(10, Int(CommandLine.arguments.dropFirst().first ?? "") ?? 100)
let approvers = (1...8).map { "approver\($0)" }
let work = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-bench-approval-\(UUID().uuidString)")
let policies = work.appendingPathComponent("policies")
try FileManager.default.createDirectory(at: policies, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: work) }
try """
groups:
  requesters: [requester]
  reviewers: [\(approvers.joined(separator: ", "))]
  admins: [admin]
""".write(to: policies.appendingPathComponent("groups.yaml"), atomically: true, encoding: .utf8)
try """
rules:
  - name: bench
    kind: deploy
    match: {environment: bench}
    requesters: [requesters]
    approvals: [{count: 1, group: reviewers}]
    hardware_key: true
""".write(to: policies.appendingPathComponent("bench.yaml"), atomically: true, encoding: .utf8)

let portBox = PortBox()
var quiet = Logger(label: "countersign-bench-approval")
quiet.logLevel = .critical
let gateway = try await buildGateway(
    configuration: GatewayConfiguration(port: 0, dataDirectory: work.appendingPathComponent("data"), policyDirectory: policies, publicURL: "http://localhost:8080"),
    passwordVerifier: BenchPasswords(), logger: quiet, onServerRunning: { port in portBox.set(port) }
)
let server = Task { try await gateway.application.runService() }
let port = await portBox.wait()
let base = "http://127.0.0.1:\(port)"
let http = HTTPClient.shared

func call<Response: Decodable>(_ path: String, _ body: (some Encodable)?, token: String?, as type: Response.Type) async throws -> Response {
    var request = HTTPClientRequest(url: base + path)
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
    if let body { request.body = .bytes(ByteBuffer(bytes: try APICoding.makeEncoder().encode(body))) }
    let response = try await http.execute(request, timeout: .seconds(30))
    let data = Data(try await response.body.collect(upTo: 1 << 20).readableBytesView)
    guard response.status.code < 300 else { throw BenchFailure("\(path): HTTP \(response.status.code) \(String(decoding: data, as: UTF8.self))") }
    return try APICoding.makeDecoder().decode(Response.self, from: data)
}

func login(_ user: String) async throws -> String {
    try await call("/v1/login", LoginBody(username: user, password: "bench"), token: nil, as: LoginResponse.self).token
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var port: Int?
    func set(_ value: Int) { lock.withLock { port = value } }
    func wait() async -> Int {
        while true {
            if let port = lock.withLock({ port }) { return port }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}

let requester = try await login("requester")
let admin = try await login("admin")
var keys: [String: SoftwareAuthenticator] = [:]
var tokens: [String: String] = [:]
for approver in approvers {
    let token = try await login(approver)
    let invite = try await call("/v1/admin/invites", InviteBody(username: approver), token: admin, as: InviteView.self)
    let options = try await call("/v1/keys/registration-options", Optional<String>.none, token: token, as: RegistrationOptionsView.self)
    let key = SoftwareAuthenticator()
    let (object, clientData) = key.register(challenge: options.challenge)
    _ = try await call("/v1/keys", EnrolKeyBody(
        ceremonyId: options.ceremonyId, inviteCode: invite.code, name: "bench", credentialId: Base64URL.encode(key.credentialID),
        attestationObject: Base64URL.encode(object), clientDataJSON: Base64URL.encode(clientData)
    ), token: token, as: KeyView.self)
    keys[approver] = key
    tokens[approver] = token
}

func file() async throws -> String {
    try await call("/v1/requests", CreateRequestBody(
        kind: "deploy", service: "bench", environment: "bench", commit: "0123456789abcdef0123456789abcdef01234567",
        reason: "Benchmark the approval path", ticket: "CHG-1"
    ), token: requester, as: RequestView.self).id
}

/// One approval, options to approved; returns its latency in seconds.
func approve(_ id: String, token: String, key: inout SoftwareAuthenticator) async throws -> Double {
    let start = ContinuousClock.now
    let options = try await call("/v1/requests/\(id)/approval-options", Optional<String>.none, token: token, as: AssertionOptionsView.self)
    let signed = try key.sign(challenge: options.challenge)
    let approved = try await call("/v1/requests/\(id)/approve-with-key", AssertionBody(
        ceremonyId: options.ceremonyId, credentialId: Base64URL.encode(key.credentialID), authenticatorData: Base64URL.encode(signed.authenticatorData),
        clientDataJSON: Base64URL.encode(signed.clientDataJSON), signature: Base64URL.encode(signed.signature), userHandle: nil
    ), token: token, as: RequestView.self)
    guard approved.state == "approved" else { throw BenchFailure("request \(id) is \(approved.state)") }
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

func percentile(_ sorted: [Double], _ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }

/// One approver alone: the latency of each approval, requests filed beforehand each time.
func measureAlone(token: String, key: SoftwareAuthenticator) async throws -> (latencies: [Double], key: SoftwareAuthenticator) {
    var key = key
    var latencies: [Double] = []
    for _ in 0..<perApprover {
        let id = try await file()
        latencies.append(try await approve(id, token: token, key: &key))
    }
    return (latencies.sorted(), key)
}

/// Eight approvers at once, each on its own stream of pending requests filed beforehand.
func measureTogether(keys: [String: SoftwareAuthenticator], tokens: [String: String]) async throws -> (latencies: [Double], seconds: Double) {
    var pending: [String: [String]] = [:]
    for approver in approvers {
        var ids: [String] = []
        for _ in 0..<perApprover { ids.append(try await file()) }
        pending[approver] = ids
    }
    let start = ContinuousClock.now
    let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
        for approver in approvers {
            let (ids, token, key) = (pending[approver] ?? [], tokens[approver] ?? "", keys[approver])
            group.addTask {
                guard var key else { throw BenchFailure("no key for \(approver)") }
                var latencies: [Double] = []
                for id in ids { latencies.append(try await approve(id, token: token, key: &key)) }
                return latencies
            }
        }
        var all: [Double] = []
        for try await some in group { all += some }
        return all.sorted()
    }
    let wall = ContinuousClock.now - start
    return (latencies, Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18)
}

let alone = try await measureAlone(token: tokens[approvers[0]] ?? "", key: keys[approvers[0]] ?? SoftwareAuthenticator())
keys[approvers[0]] = alone.key
print(String(
    format: "approval_latency_ms p50=%.2f p99=%.2f approvals=%d (one approver: options, then the signed assertion)",
    percentile(alone.latencies, 0.5) * 1000, percentile(alone.latencies, 0.99) * 1000, alone.latencies.count
))
let together = try await measureTogether(keys: keys, tokens: tokens)
print(String(
    format: "approvals_per_second=%.0f with 8 concurrent approvers (%d approvals in %.2f s); latency_ms p50=%.2f p99=%.2f",
    Double(together.latencies.count) / together.seconds, together.latencies.count, together.seconds,
    percentile(together.latencies, 0.5) * 1000, percentile(together.latencies, 0.99) * 1000
))
server.cancel()
