import CountersignAPI
import CountersignCore
@testable import CountersignServer
import CountersignSQLite
import CountersignStore
import Foundation
import Hummingbird
import Logging
import NIOEmbedded
import Testing

/// `requireMachineOrPerson`, the deploy gate's door: a person's session, or a machine token that
/// holds the scope for the service now. Tokens come from the gateway's own authority over a real
/// store, and time from a manual clock.
@Suite("Machine callers")
struct MachineCallerTests {
    static let erin = Actor(name: try! Username("erin"), groups: [WellKnownGroup.admins])

    /// An authority over a fresh SQLite store, and `body`'s answer.
    static func withAuthority<Value>(_ body: (MachineTokenAuthority, ManualClock) async throws -> Value) async throws -> Value {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-machine-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let clock = ManualClock()
        let store = try SQLiteStore.open(path: directory.appendingPathComponent("gateway.sqlite").path)
        return try await body(MachineTokenAuthority(store: store, clock: clock), clock)
    }

    /// A request's context as `AuthenticationMiddleware` leaves it for a bearer value with the
    /// machine prefix.
    static func context(presenting secret: String, to authority: MachineTokenAuthority) async throws -> GatewayContext {
        var context = GatewayContext(source: ApplicationRequestContextSource(channel: EmbeddedChannel(), logger: Logger(label: "test")))
        context.presentedMachineToken = true
        context.machine = try await authority.caller(presenting: secret)
        return context
    }

    static func code(_ body: () throws(GatewayError) -> ScopedCaller) -> String? {
        do {
            _ = try body()
            return nil
        } catch {
            return error.code
        }
    }

    static func make(_ name: String = "ci-payments", scopes: [String] = ["deploy:check"], services: [String] = ["payments-*"],
                     lifetime: Int? = nil, on authority: MachineTokenAuthority) async throws -> String {
        try await authority.create(CreateMachineTokenBody(name: name, scopes: scopes, services: services, expiresInSeconds: lifetime), by: erin).secret.revealed
    }

    @Test("a token with the scope, for a service its patterns match, is the machine caller, named machine:<name>")
    func authorised() async throws {
        try await Self.withAuthority { authority, _ in
            let context = try await Self.context(presenting: try await Self.make(on: authority), to: authority)
            let caller = try context.requireMachineOrPerson(scope: .deployCheck, service: "payments-api")
            guard case .machine(let machine) = caller else { Issue.record("not a machine caller"); return }
            #expect(machine.token.name.rawValue == "ci-payments")
            #expect(caller.auditActor == "machine:ci-payments")
            #expect(context.identity == nil, "never a person")
        }
    }

    @Test("a missing scope and a service outside the patterns are refused with 403 and their codes")
    func scopeAndService() async throws {
        try await Self.withAuthority { authority, _ in
            let context = try await Self.context(presenting: try await Self.make(on: authority), to: authority)
            #expect(Self.code { () throws(GatewayError) in try context.requireMachineOrPerson(scope: .deployConsume, service: "payments-api") } == "scope_missing")
            #expect(Self.code { () throws(GatewayError) in try context.requireMachineOrPerson(scope: .deployCheck, service: "web") } == "service_not_allowed")
            let refusal = #expect(throws: GatewayError.self) { try context.requireMachineOrPerson(scope: .deployCheck, service: "web") }
            #expect(refusal?.status == .forbidden)
        }
    }

    @Test("a revocation on this gateway takes effect at once, though the token was just read and cached")
    func revocationIsImmediate() async throws {
        try await Self.withAuthority { authority, _ in
            let secret = try await Self.make(on: authority)
            let before = try await Self.context(presenting: secret, to: authority)
            #expect(Self.code { () throws(GatewayError) in try before.requireMachineOrPerson(scope: .deployCheck, service: "payments-api") } == nil)
            _ = try await authority.revoke(named: "ci-payments", by: Self.erin)
            let after = try await Self.context(presenting: secret, to: authority)
            #expect(Self.code { () throws(GatewayError) in try after.requireMachineOrPerson(scope: .deployCheck, service: "payments-api") } == "machine_token_revoked")
        }
    }

    @Test("an expired token is refused once the clock passes its expiry, cached or not")
    func expiry() async throws {
        try await Self.withAuthority { authority, clock in
            let secret = try await Self.make(lifetime: 3600, on: authority)
            clock.advance(by: 3599)
            let early = try await Self.context(presenting: secret, to: authority)
            #expect(Self.code { () throws(GatewayError) in try early.requireMachineOrPerson(scope: .deployCheck, service: "payments-api") } == nil)
            clock.advance(by: 1)
            let late = try await Self.context(presenting: secret, to: authority)
            #expect(Self.code { () throws(GatewayError) in try late.requireMachineOrPerson(scope: .deployCheck, service: "payments-api") } == "machine_token_expired")
        }
    }

    @Test("a token this gateway never issued is refused as invalid, garbled or not")
    func unknown() async throws {
        try await Self.withAuthority { authority, _ in
            let issued = try await Self.make(on: authority)
            for presented in [MachineTokenSecret.generate().revealed, String(issued.dropLast()) + "x", "csm_", "csm_" + String(repeating: "A", count: 5000)] {
                let context = try await Self.context(presenting: presented, to: authority)
                #expect(context.machine == nil)
                #expect(Self.code { () throws(GatewayError) in try context.requireMachineOrPerson(scope: .deployCheck, service: "payments-api") } == "machine_token_invalid")
            }
        }
    }

    @Test("a person's session passes whatever the scope; with nothing presented, 401 unauthenticated")
    func person() throws {
        var context = GatewayContext(source: ApplicationRequestContextSource(channel: EmbeddedChannel(), logger: Logger(label: "test")))
        #expect(Self.code { () throws(GatewayError) in try context.requireMachineOrPerson(scope: .deployCheck, service: "web") } == APIErrorCode.unauthenticated)
        let now = Date()
        let alice = try Username("alice")
        context.identity = CallerIdentity(
            actor: Actor(name: alice, groups: ["payments"]),
            session: LoginSession(tokenHash: [UInt8](repeating: 1, count: 32), username: alice, createdAt: now, expiresAt: now.addingTimeInterval(60))
        )
        let caller = try context.requireMachineOrPerson(scope: .deployConsume, service: "web")
        #expect(caller.auditActor == "alice")
    }
}
