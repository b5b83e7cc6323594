import CountersignAPI
import CountersignCore
import Foundation
import Hummingbird

/// `/v1/admin/tokens`: machine tokens for deploy tooling (admins group).
struct MachineTokenController {
    let tokens: MachineTokenAuthority
    let clock: any WallClock
    let bodyLimit: Int

    func register(on routes: RouteRecorder) {
        routes.on(.post, "/v1/admin/tokens", use: create)
        routes.on(.get, "/v1/admin/tokens", use: list)
        routes.on(.post, "/v1/admin/tokens/{name}/revoke", use: revoke)
    }

    @Sendable func create(_ request: Request, context: GatewayContext) async throws -> JSONResponse<CreatedMachineTokenView> {
        let caller = try context.requireIdentity().actor
        let body = try await BodyDecoding.decode(CreateMachineTokenBody.self, from: request, limit: bodyLimit)
        let (token, secret) = try await tokens.create(body, by: caller)
        return JSONResponse(CreatedMachineTokenView(token: MachineTokenView(token, at: clock.now()), secret: secret.revealed), status: .created)
    }

    @Sendable func list(_ request: Request, context: GatewayContext) async throws -> JSONResponse<MachineTokenListView> {
        let caller = try context.requireIdentity().actor
        let now = clock.now()
        return JSONResponse(MachineTokenListView(tokens: try await tokens.tokens(for: caller).map { MachineTokenView($0, at: now) }))
    }

    @Sendable func revoke(_ request: Request, context: GatewayContext) async throws -> JSONResponse<MachineTokenView> {
        let caller = try context.requireIdentity().actor
        // Percent-decoded: `ci%2Dpayments` names the same token as `ci-payments` (RFC 3986 §6.2.2.2).
        guard let raw = context.parameters.get("name"), raw.utf8.count <= 256, let name = raw.removingPercentEncoding else {
            throw GatewayError.notFound("machine token")
        }
        return JSONResponse(MachineTokenView(try await tokens.revoke(named: name, by: caller), at: clock.now()))
    }
}

extension MachineTokenView {
    init(_ token: MachineToken, at now: Date) {
        let state = token.revocation != nil ? "revoked" : token.isExpired(at: now) ? "expired" : "active"
        self.init(
            name: token.name.rawValue, state: state, actor: token.auditActor, scopes: token.sortedScopes.map(\.rawValue),
            services: token.services.map(\.description), createdBy: token.createdBy.rawValue, createdAt: token.createdAt,
            expiresAt: token.expiresAt, revokedAt: token.revocation?.at, revokedBy: token.revocation?.by.rawValue
        )
    }
}
