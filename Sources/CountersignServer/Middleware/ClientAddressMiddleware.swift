import HTTPTypes
import Hummingbird

/// Puts the client's own address in `context.remoteAddress` before anything reads it: behind a
/// trusted reverse proxy, the one its `X-Forwarded-For` names; otherwise the connection's peer.
/// Login throttles and audit rows then tell clients apart even when they share a proxy.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    // A valid token, so the literal always makes a name.
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    let trustedProxies: TrustedProxies

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        var context = context
        context.remoteAddress = trustedProxies.clientAddress(peer: context.remoteAddress, forwardedFor: request.headers[values: Self.forwardedFor])
        return try await next(request, context)
    }
}
