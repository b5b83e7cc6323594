import CountersignAPI
import CountersignCore
import CountersignStore
import Foundation
import Hummingbird

/// The deploy gate over HTTP: 200 with the approval when the exact rollout is approved now, 403
/// with the reason (`deploy_*`) when it is not.
struct DeployGateController {
    let store: any GatewayStore
    let lookups: RecentStoreReads<DeployTarget, [AccessRequest]>
    let tokens: DeployTokenIssuer
    let clock: any WallClock
    let bodyLimit: Int

    /// Every request for one target the gate looks at: far more than any real history of one
    /// commit, and a bound on the read.
    static let lookupLimit = 50

    func register(on routes: RouteRecorder) {
        routes.on(.post, "/v1/deploys/check", use: check)
    }

    /// A person logged in, or deploy tooling with a machine token holding `deploy:check` for the
    /// service (and `deploy:consume` to start a rollout): the body is read first, since the
    /// token's scope depends on the service it names.
    @Sendable func check(_ request: Request, context: GatewayContext) async throws -> JSONResponse<DeployCheckView> {
        if !context.presentedMachineToken { _ = try context.requireIdentity() }
        let body = try await BodyDecoding.decode(DeployCheckBody.self, from: request, limit: bodyLimit)
        let scoped = try context.requireMachineOrPerson(scope: .deployCheck, service: body.service)
        let consume = body.consume ?? false
        if consume, case .machine(let machine) = scoped {
            try machine.authorise(.deployConsume, service: body.service)
        }
        let target: DeployTarget
        do {
            target = try DeployTarget(service: body.service, environment: body.environment, commit: try ArtifactReference(body.commit))
        } catch {
            throw GatewayError(status: .badRequest, code: error.code.rawValue, message: error.message)
        }
        let requests = try await deployRequests(for: target)
        let now = clock.now()
        let approved: AccessRequest
        switch DeployGate.verdict(for: target, among: requests, at: now) {
        case .approved(let request): approved = request
        case .refused(let refusal): throw Self.refusal(refusal, target)
        }
        let caller = scoped.deployCaller
        let answer: (request: AccessRequest, token: IssuedDeployToken?)
        switch (consume, body.deployToken ?? false) {
        case (false, false):
            answer = (approved, nil)
        case (true, false):
            answer = (try await startRollout(of: target, under: approved.id, by: caller, at: now), nil)
        case (let consume, true):
            answer = try await issueToken(for: target, under: approved.id, to: caller, startingRollout: consume, at: now)
        }
        return JSONResponse(DeployCheckView(answer.request, target: target, token: answer.token))
    }

    /// Every request for exactly `target`, from the last second's reads unless something was
    /// committed through this gateway since (`RecentStoreReads`).
    private func deployRequests(for target: DeployTarget) async throws -> [AccessRequest] {
        try await lookups.value(for: target, generation: store.committedAuditEvents) {
            try await store.deployRequests(
                service: target.service, environment: target.environment, commit: target.commit, limit: Self.lookupLimit
            )
        } ?? []
    }

    /// Records the rollout start, judged again inside its transaction: of two gateways spending
    /// one single-use approval at once, the second hears `deploy_consumed`.
    private func startRollout(of target: DeployTarget, under id: CountersignCore.RequestID, by caller: DeployCaller, at now: Date) async throws -> AccessRequest {
        try await store.update(id, at: now) { current in
            try Self.gateRefusals(target) { try DeployGate.startRollout(of: target, under: current, by: caller, at: now) }
        }
    }

    /// The approval's deploy token, in the same unit of work as the rollout start when there is
    /// one, so that a single-use approval never yields a token without being spent, nor is spent
    /// without its token.
    private func issueToken(
        for target: DeployTarget, under id: CountersignCore.RequestID, to caller: DeployCaller, startingRollout: Bool, at now: Date
    ) async throws -> (request: AccessRequest, token: IssuedDeployToken) {
        let signer = try tokens.signer(at: now)
        return try await store.issueCredential(for: id, at: now) { current, serial in
            try Self.gateRefusals(target) {
                let start = startingRollout ? try DeployGate.startRollout(of: target, under: current, by: caller, at: now) : nil
                let request = start?.request ?? current
                let events = start?.events ?? []
                let grant = try DeployGate.tokenGrant(
                    of: target, for: request, to: caller, startingRollout: startingRollout, lifetime: CredentialRules.maximumLifetime, at: now
                )
                let minted = try tokens.mint(grant, of: request, serial: serial, signer: signer, at: now, takenBy: caller.auditActor)
                let change = RequestChange(request: request, events: events + minted.change.events, issued: minted.change.issued)
                return (change, (request, minted.made))
            }
        }
    }

    /// The gate's refusals inside a unit of work, as the 403 the route answers them with.
    private static func gateRefusals<Value>(_ target: DeployTarget, _ body: () throws -> Value) throws -> Value {
        do {
            return try body()
        } catch let refused as DeployRefusal {
            throw refusal(refused, target)
        }
    }

    static func refusal(_ refusal: DeployRefusal, _ target: DeployTarget) -> GatewayError {
        GatewayError(status: .forbidden, code: refusal.code, message: explain(refusal, target))
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
        case .consumed(let start):
            "the single-use approval for \(rollout) was spent when \(start.by.auditActor) started its rollout at \(start.at.formatted(.iso8601)); file a new request"
        }
    }
}

extension DeployCheckView {
    init(_ request: AccessRequest, target: DeployTarget, token: IssuedDeployToken?) {
        self.init(
            requestId: request.id.rawValue, requester: request.requester.rawValue, service: target.service,
            environment: target.environment, commit: target.commit.description, reason: request.reason, ticket: request.ticket,
            approvals: request.approvals.map { ApprovalView(approver: $0.approver.rawValue, at: $0.at, method: $0.method.rawValue) },
            accessExpiresAt: request.accessExpiresAt ?? request.updatedAt, singleUse: request.singleUse,
            rolloutStartedAt: request.rolloutStart?.at, rolloutStartedBy: request.rolloutStart?.by.auditActor,
            deployToken: token.map(DeployTokenView.init)
        )
    }
}
