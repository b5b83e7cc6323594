import Crypto
import CountersignCore
import CountersignStore
import Hummingbird

/// Resolves `Authorization: Bearer …` into the caller's identity, once, for every route behind it.
/// Routes decide for themselves whether an identity is required (`context.requireIdentity()`),
/// so a stale token never stands in the way of logging in again.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    let sessions: SessionAuthority

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            context.identity = try await sessions.identity(forAuthorizationHeader: header)
            context.presentedStaleToken = context.identity == nil
        }
        return try await next(request, context)
    }
}
