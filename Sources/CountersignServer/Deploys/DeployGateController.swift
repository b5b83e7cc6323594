import CountersignAPI
import CountersignCore
import CountersignStore
import Hummingbird

/// The deploy gate over HTTP: 200 with the approval when the exact rollout is approved now, 403
/// with the reason (`deploy_*`) when it is not.
struct DeployGateController {
    let store: any GatewayStore
    let clock: any WallClock
    let bodyLimit: Int

    /// Every request for one target the gate looks at: far more than any real history of one
    /// commit, and a bound on the read.
    static let lookupLimit = 50

    func register(on routes: RouteRecorder) {
        routes.on(.post, "/v1/deploys/check", use: check)
    }

    /// A person logged in, or deploy tooling with a machine token holding `deploy:check` for the
    /// service: the body is read first, since the token's scope depends on the service it names.
    @Sendable func check(_ request: Request, context: GatewayContext) async throws -> JSONResponse<DeployCheckView> {
        if !context.presentedMachineToken { _ = try context.requireIdentity() }
        let body = try await BodyDecoding.decode(DeployCheckBody.self, from: request, limit: bodyLimit)
        _ = try context.requireMachineOrPerson(scope: .deployCheck, service: body.service)
        let target: DeployTarget
        do {
            target = try DeployTarget(service: body.service, environment: body.environment, commit: try ArtifactReference(body.commit))
        } catch {
            throw GatewayError(status: .badRequest, code: error.code.rawValue, message: error.message)
        }
        let requests = try await store.deployRequests(
            service: target.service, environment: target.environment, commit: target.commit, limit: Self.lookupLimit
        )
        switch DeployGate.verdict(for: target, among: requests, at: clock.now()) {
        case .approved(let approved):
            return JSONResponse(DeployCheckView(approved, target: target))
        case .refused(let refusal):
            throw GatewayError(status: .forbidden, code: refusal.code, message: Self.explain(refusal, target))
        }
    }

    static func explain(_ refusal: DeployRefusal, _ target: DeployTarget) -> String {
        let rollout = "\(target.service) to \(target.environment) at \(target.commit)"
        return switch refusal {
        case .noRequest: "no deploy request names \(rollout); file one with `countersign request deploy`"
        case .pending(let progress): "the request for \(rollout) is not approved yet (\(progress))"
        case .denied(let by, let reason): "\(by) denied \(rollout): \(reason)"
        case .cancelled: "the request for \(rollout) was cancelled"
        case .expired: "the approval for \(rollout) has expired; file a new request"
        case .revoked(let by, let reason):
            "the approval for \(rollout) was revoked\(by.map { " by \($0)" } ?? "")\(reason.map { ": \($0)" } ?? "")"
        }
    }
}

extension DeployCheckView {
    init(_ request: AccessRequest, target: DeployTarget) {
        self.init(
            requestId: request.id.rawValue, requester: request.requester.rawValue, service: target.service,
            environment: target.environment, commit: target.commit.description, reason: request.reason, ticket: request.ticket,
            approvals: request.approvals.map { ApprovalView(approver: $0.approver.rawValue, at: $0.at, method: $0.method.rawValue) },
            accessExpiresAt: request.accessExpiresAt ?? request.updatedAt
        )
    }
}
