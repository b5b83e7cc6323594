import CountersignAPI
import CountersignStore
import CountersignCore
import Foundation
import Hummingbird
import Synchronization

/// Liveness, readiness, metrics and the API document: unauthenticated, for load balancers,
/// Prometheus and API clients.
struct HealthController {
    let store: any GatewayStore
    let writability: WritabilityProof
    let policies: PolicyHolder
    let metrics: GatewayMetrics
    let openAPIDocument: ByteBuffer
    let clock: any WallClock

    /// The unfinished recordings a scrape judges, newest first: far more than any fleet has open.
    static let recordingsCounted = 10_000

    struct Readiness: Codable, Sendable {
        let ready: Bool
        let database: String
        let policyFingerprint: String
        let rules: Int
    }

    func register(on routes: RouteRecorder) {
        routes.on(.get, "/healthz", use: health)
        routes.on(.get, "/readyz", use: ready)
        routes.on(.get, "/metrics", use: exposition)
        routes.on(.get, "/openapi.yaml", use: document)
    }

    @Sendable func health(_ request: Request, context: GatewayContext) async throws -> String {
        "ok\n"
    }

    /// Ready only when a write would succeed and a policy is loaded: a gateway that cannot append
    /// to its audit log must be taken out of rotation, since it would refuse every action. The
    /// write is proven at most once per `WritabilityProof.validity`, however often this is asked.
    @Sendable func ready(_ request: Request, context: GatewayContext) async throws -> JSONResponse<Readiness> {
        let loaded = policies.current
        do {
            try await writability.check()
            return JSONResponse(Readiness(ready: true, database: "writable", policyFingerprint: loaded.fingerprint, rules: loaded.policy.rules.count))
        } catch {
            context.logger.error("readiness check failed", metadata: ["error": "\(error)"])
            return JSONResponse(
                Readiness(ready: false, database: "unwritable", policyFingerprint: loaded.fingerprint, rules: loaded.policy.rules.count),
                status: .serviceUnavailable
            )
        }
    }

    @Sendable func exposition(_ request: Request, context: GatewayContext) async throws -> Response {
        let now = clock.now()
        let recordingStates = try await store.unfinishedRecordings(limit: Self.recordingsCounted).map { RecordingRules.state(of: $0, at: now) }
        let body = metrics.exposition(
            requestCounts: try await store.requestCounts(), committedAuditEvents: store.committedAuditEvents, recordingStates: recordingStates,
            outbox: try await store.outboxTally()
        )
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: body))
        )
    }

    @Sendable func document(_ request: Request, context: GatewayContext) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"], body: .init(byteBuffer: openAPIDocument))
    }
}

/// Proof that the database takes a durable write, shared by every readiness probe for a few
/// seconds. The proof is a real write (`checkWritable`: a full disk or a read-only remount is only
/// noticed by writing), so without sharing it an unauthenticated flood of `/readyz` would be a
/// flood of fsyncs queued before every real action. Probes arriving while a proof runs wait for
/// that one; a failure is never remembered, so recovery shows at the next probe.
final class WritabilityProof: Sendable {
    static let validity: TimeInterval = 5

    private struct State {
        var provenAt: Date?
        var running: Task<Void, any Error>?
    }

    private let store: any GatewayStore
    private let clock: any WallClock
    private let state = Mutex(State())

    init(store: any GatewayStore, clock: any WallClock) {
        self.store = store
        self.clock = clock
    }

    func check() async throws {
        let now = clock.now()
        let proof: Task<Void, any Error>? = state.withLock { state in
            if let provenAt = state.provenAt, (0..<Self.validity).contains(now.timeIntervalSince(provenAt)) { return nil }
            if let running = state.running { return running }
            // Unstructured, so a probe that hangs up does not cancel the proof others wait for.
            let started = Task { [store, clock] in
                do {
                    try await store.checkWritable()
                    self.state.withLock { $0 = State(provenAt: clock.now(), running: nil) }
                } catch {
                    self.state.withLock { $0 = State(provenAt: nil, running: nil) }
                    throw error
                }
            }
            state.running = started
            return started
        }
        try await proof?.value
    }
}
