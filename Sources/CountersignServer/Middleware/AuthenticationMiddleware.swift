import Crypto
import CountersignCore
import CountersignStore
import CountersignWeb
import Hummingbird

/// Resolves `Authorization: Bearer …` into the caller's identity, once, for every route behind it.
/// Routes decide for themselves whether an identity is required (`context.requireIdentity()`),
/// so a stale token never stands in the way of logging in again.
///
/// The reviewer pages' scripts call the same API with the browser's session cookie. A cookie
/// counts only beside the session's anti-forgery header, which another site cannot send (it would
/// need a CORS preflight this gateway never grants): a forged request gets no identity.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    let sessions: SessionAuthority
    let cookies: WebCookies

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            context.identity = try await sessions.identity(forAuthorizationHeader: header)
            context.presentedStaleToken = context.identity == nil
        } else if let token = cookies.sessionToken(in: request) {
            if CSRFToken.matches(request.headers[WebCookies.csrfHeader], sessionToken: token) {
                context.identity = try await sessions.identity(forToken: token)
                context.presentedStaleToken = context.identity == nil
            } else {
                context.presentedCookieWithoutCSRF = true
            }
        }
        return try await next(request, context)
    }
}
