import CountersignAPI
import CountersignWeb
import Hummingbird
import Logging

/// In front of every page: resolves the session cookie (and only the cookie) into the caller's
/// identity, refuses a form post without the session's anti-forgery token before any handler
/// runs, sends the page security headers on every answer, and turns failures into pages.
struct WebSessionMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    let sessions: SessionAuthority
    let cookies: WebCookies
    let renderer: PageRenderer
    let alarm: IntegrityAlarm

    /// The login form proves it is the gateway's own with the login cookie instead.
    static let loginPath = "/login"

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        var context = context
        context.identity = nil
        context.machine = nil
        context.presentedMachineToken = false
        context.presentedStaleToken = false
        context.presentedCookieWithoutCSRF = false
        var response: Response
        do {
            if let token = cookies.sessionToken(in: request), let identity = try await sessions.identity(forToken: token) {
                context.identity = identity
                context.browserSessionToken = token
            }
            var request = request
            if request.method == .post {
                let form = try await FormFields.read(from: &request)
                if request.uri.path != Self.loginPath {
                    guard let token = context.browserSessionToken else {
                        return try SeeOther(location: Self.loginPath).response(from: request, context: context)
                    }
                    guard CSRFToken.matches(form[CSRFToken.formField], sessionToken: token) else {
                        throw GatewayError(
                            status: .forbidden, code: APIErrorCode.forgeryRefused,
                            message: "this form did not come from the gateway's own page, or it has gone stale; reload the page and try again"
                        )
                    }
                }
                context.form = form
            }
            response = try await next(request, context)
        } catch {
            await alarm.raise(for: error)
            let failure = GatewayError.answering(error, logger: context.logger)
            if failure.status == .unauthorized, request.method == .get {
                response = try SeeOther(location: "\(Self.loginPath)?next=\(WebPaths.escaped(request.uri.path))").response(from: request, context: context)
            } else {
                response = try errorPage(failure, request: request, context: context)
            }
        }
        response.addPageSecurityHeaders()
        return response
    }

    private func errorPage(_ failure: GatewayError, request: Request, context: GatewayContext) throws -> Response {
        let page = ErrorPage(
            chrome: WebController.chrome("Refused", context, section: .none), status: Int(failure.status.code),
            heading: failure.status.code >= 500 ? "Something went wrong" : "That did not work",
            message: failure.message, backLink: WebPaths.back(from: request.uri.path)
        )
        var response = try HTMLResponse(html: renderer.render(page), status: failure.status).response(from: request, context: context)
        for field in failure.headers { response.headers.append(field) }
        return response
    }
}
