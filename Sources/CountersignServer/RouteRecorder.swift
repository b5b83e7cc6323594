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
}
