import CountersignAPI
import Hummingbird
import HTTPTypes

/// Registers routes on the router and remembers each (method, path), so a test can hold the list
/// against the OpenAPI document: a route nobody documented fails the build's tests.
final class RouteRecorder: @unchecked Sendable {
    struct Route: Hashable, Sendable, CustomStringConvertible {
        let method: HTTPRequest.Method
        let path: String

        var description: String { "\(method.rawValue) \(path)" }
    }

    let router: Router<GatewayContext>
    private(set) var routes: [Route] = []

    init(router: Router<GatewayContext>) {
        self.router = router
    }

    /// `path` is written as OpenAPI writes it (`/v1/requests/{id}`), which Hummingbird also accepts.
    func on(
        _ method: HTTPRequest.Method, _ path: String,
        use handler: @escaping @Sendable (Request, GatewayContext) async throws -> some ResponseGenerator
    ) {
        routes.append(Route(method: method, path: path))
        router.on(RouterPath(path), method: method, use: handler)
    }

    /// Every other method on a recorded path answers 405 with `Allow` (RFC 9110 §15.5.5), not 404:
    /// the path is there, and a client that used the wrong method should be told so. Called once,
    /// after the last route.
    func refuseOtherMethods() {
        for (path, routes) in Dictionary(grouping: routes, by: \.path) {
            var allowed = Set(routes.map(\.method))
            // The router answers HEAD wherever it answers GET.
            if allowed.contains(.get) { allowed.insert(.head) }
            let refusal = GatewayError(
                status: .methodNotAllowed, code: APIErrorCode.methodNotAllowed, message: "method not allowed on this route",
                headers: [.allow: allowed.map(\.rawValue).sorted().joined(separator: ", ")]
            )
            for method in Self.refusedMethods where !allowed.contains(method) {
                router.on(RouterPath(path), method: method) { _, _ -> Response in throw refusal }
            }
        }
    }

    /// The methods a client may try on a path that does not take them (QUERY: the safe method with
    /// a body of draft-ietf-httpbis-safe-method-w-body); HEAD follows GET.
    private static let refusedMethods: [HTTPRequest.Method] =
        [.get, .post, .put, .patch, .delete, .options, .trace] + [HTTPRequest.Method("QUERY")].compactMap { $0 }
}
