import CountersignAPI
import Hummingbird

/// `POST /v1/login`, `POST /v1/logout`, `GET /v1/whoami`.
struct SessionController {
    let sessions: SessionAuthority
    let bodyLimit: Int

    func register(on routes: RouteRecorder) {
        routes.on(.post, "/v1/login", use: login)
        routes.on(.post, "/v1/logout", use: logout)
        routes.on(.get, "/v1/whoami", use: whoami)
    }

    @Sendable func login(_ request: Request, context: GatewayContext) async throws -> JSONResponse<LoginResponse> {
        let body = try await BodyDecoding.decode(LoginBody.self, from: request, limit: bodyLimit)
        return JSONResponse(try await sessions.login(username: body.username, password: body.password, from: context.remoteAddress))
    }

    @Sendable func logout(_ request: Request, context: GatewayContext) async throws -> HTTPResponse.Status {
        try await sessions.logout(try context.requireIdentity())
        return .noContent
    }

    @Sendable func whoami(_ request: Request, context: GatewayContext) async throws -> JSONResponse<IdentityView> {
        let identity = try context.requireIdentity()
        return JSONResponse(IdentityView(
            username: identity.actor.name.rawValue, groups: identity.actor.groups.sorted(), sessionExpiresAt: identity.session.expiresAt
        ))
    }
}
