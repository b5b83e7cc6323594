import CountersignAPI
import CountersignStore
import Foundation
import Hummingbird

/// Liveness, readiness, metrics and the API document: unauthenticated, for load balancers,
/// Prometheus and API clients.
struct HealthController {
    let store: any GatewayStore
    let policies: PolicyHolder
    let metrics: GatewayMetrics
    let openAPIDocument: ByteBuffer

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
    /// to its audit log must be taken out of rotation, since it would refuse every action.
    @Sendable func ready(_ request: Request, context: GatewayContext) async throws -> JSONResponse<Readiness> {
        let loaded = policies.current
        do {
            try await store.checkWritable()
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
        let body = metrics.exposition(requestCounts: try await store.requestCounts())
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: body))
        )
    }

    @Sendable func document(_ request: Request, context: GatewayContext) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"], body: .init(byteBuffer: openAPIDocument))
    }
}
