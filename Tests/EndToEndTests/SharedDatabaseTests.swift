#if canImport(Glibc)
import Glibc
#endif
import AsyncHTTPClient
import CountersignAPI
import Foundation
import NIOCore
import NIOHTTP1
import PostgresTesting
import Testing

/// Three real `countersignd` processes on one real PostgreSQL database, as a deployment with
/// several gateways runs: one state, one linear audit chain, limits that hold across them.
@Suite("Several gateways on one PostgreSQL database", .timeLimit(.minutes(3)))
struct SharedDatabaseTests {
    static func send(_ method: HTTPMethod, _ url: String, _ body: (some Encodable)? = Optional<String>.none, token: String? = nil) async throws -> (status: UInt, body: Data) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try APICoding.makeEncoder().encode(body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        return (response.status.code, Data(try await response.body.collect(upTo: 1 << 20).readableBytesView))
    }

    /// Three gateways on a fresh database, started one after the other: the first creates the
    /// checkpoint key in the shared data directory, the others use it.
    static func gateways(_ scratch: Scratch) async throws -> (database: String, daemons: [Daemon]) {
        let name = try await PostgresServer.createDatabase()
        let database = "postgres://\(PostgresServer.user)@127.0.0.1:\(try await PostgresServer.cluster().port)/\(name)"
        var daemons: [Daemon] = []
        for _ in 0..<3 { daemons.append(try await Daemon.start(scratch: scratch, extraArguments: ["--database", database])) }
        return (database, daemons)
    }

    @Test("Concurrent writes through three gateways keep one unbroken chain, checkpoints included, which audit verify proves")
    func oneChain() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let (database, gateways) = try await Self.gateways(scratch)
        let body = CreateRequestBody(
            kind: "deploy", service: "payments-api", environment: "production", commit: CLIWalkthroughTests.commit,
            reason: "Roll out the settlement rounding fix", ticket: "CHG-1042"
        )
        let created = LockedStrings()
        try await withThrowingTaskGroup(of: Void.self) { writers in
            for gateway in gateways {
                let token = try await DurabilityTests.login("alice", at: gateway.url)
                for _ in 0..<4 {
                    writers.addTask {
                        for _ in 0..<15 {
                            let data = try await DurabilityTests.post(gateway.url + "/v1/requests", body, token: token)
                            created.append(try APICoding.makeDecoder().decode(RequestView.self, from: data).id)
                        }
                    }
                }
            }
            try await writers.waitForAll()
        }
        #expect(Set(created.all).count == 180)
        // What one gateway wrote, another reads.
        let erin = try await DurabilityTests.login("erin", at: gateways[2].url)
        for id in created.all.prefix(5) {
            #expect(try await DurabilityTests.get(gateways[2].url + "/v1/requests/\(id)", token: erin).status == 200)
        }
        // The first gateway to stop signs a final checkpoint, with the one shared key; the others
        // find the head already signed (`AuditCheckpoint.isDue`).
        for gateway in gateways { #expect(try await gateway.stop(signal: SIGTERM) == 0) }
        let restarted = try await Daemon.start(scratch: scratch, extraArguments: ["--database", database])
        let auditor = try await DurabilityTests.login("erin", at: restarted.url)
        let verification = try APICoding.makeDecoder().decode(
            AuditVerificationView.self, from: try await DurabilityTests.get(restarted.url + "/v1/audit/verify", token: auditor).body
        )
        #expect(verification.ok, "\(verification)")
        #expect(verification.verifiedEvents >= 180 + 4)
        #expect(verification.checkpoints >= 1)
    }

    @Test("A session made on one gateway works on the others; a logout ends it there at once and on the others within a second")
    func sessionsAreShared() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let gateways = try await Self.gateways(scratch).daemons
        let token = try await DurabilityTests.login("alice", at: gateways[0].url)
        for gateway in gateways {
            #expect(try await DurabilityTests.get(gateway.url + "/v1/whoami", token: token).status == 200)
        }
        #expect(try await Self.send(.POST, gateways[1].url + "/v1/logout", token: token).status == 204)
        #expect(try await DurabilityTests.get(gateways[1].url + "/v1/whoami", token: token).status == 401)
        // The others may answer from a session read less than a second ago (`SessionCache`).
        for gateway in [gateways[0], gateways[2]] {
            var status: UInt = 0
            for _ in 0..<30 where status != 401 {
                status = try await DurabilityTests.get(gateway.url + "/v1/whoami", token: token).status
                if status != 401 { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(status == 401)
        }
    }

    @Test("Failed logins spread over three gateways meet one limit: the sixth is refused wherever it lands")
    func throttleIsShared() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let gateways = try await Self.gateways(scratch).daemons
        let wrong = LoginBody(username: "bob", password: "not-bobs-password")
        let statuses = try await withThrowingTaskGroup(of: [UInt].self) { group in
            // Two attempts per gateway, one after the other there (a gateway checks one password
            // per user at a time), at the same time across gateways.
            for gateway in gateways {
                group.addTask {
                    var seen: [UInt] = []
                    for _ in 0..<2 { seen.append(try await Self.send(.POST, gateway.url + "/v1/login", wrong).status) }
                    return seen
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(statuses.sorted() == [401, 401, 401, 401, 401, 429], "\(statuses)")
        // The real password too is refused now, from this address, on every gateway: the limit
        // is per user and address, counted by the database.
        for gateway in gateways {
            #expect(try await Self.send(.POST, gateway.url + "/v1/login", LoginBody(username: "bob", password: "bob-demo-pw")).status == 429)
        }
    }
}
