import Crypto
import CountersignCore
import CountersignStore
import CountersignWeb
import Hummingbird

/// Resolves `Authorization: Bearer …` into the caller's identity, once, for every route behind it.
/// Routes decide for themselves whether an identity is required (`context.requireIdentity()`),
/// so a stale token never stands in the way of logging in again.
///
/// A bearer value with the machine-token prefix (`csm_`) is deploy tooling's: it resolves to
/// `context.machine` only, never to an identity, and `requireIdentity` refuses it. One with the
/// upload-token prefix (`csr_`) is a recorder's, for the recording routes only.
///
/// The reviewer pages' scripts call the same API with the browser's session cookie. A cookie
/// counts only beside the session's anti-forgery header, which another site cannot send (it would
/// need a CORS preflight this gateway never grants): a forged request gets no identity.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    let sessions: SessionAuthority
    let machineTokens: MachineTokenAuthority
    let cookies: WebCookies

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            let token = SessionAuthority.bearerToken(inAuthorizationHeader: header)
            if let token, token.hasPrefix(MachineTokenSecret.prefix) {
                context.presentedMachineToken = true
                context.machine = try await machineTokens.caller(presenting: token)
            } else if let token, token.hasPrefix(RecordingUploadToken.prefix) {
                context.presentedRecordingToken = true
                context.recordingUpload = RecordingUploadToken(token)
            } else if let token {
                context.identity = try await sessions.identity(forToken: token)
                context.presentedStaleToken = context.identity == nil
            } else {
                context.presentedStaleToken = true
            }
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
