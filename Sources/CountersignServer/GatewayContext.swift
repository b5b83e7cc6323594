import CountersignAPI
import CountersignCore
import CountersignStore
import Foundation
import Hummingbird
import NIOCore

/// Who is calling, resolved once by `AuthenticationMiddleware` from the bearer token.
public struct CallerIdentity: Sendable {
    public let actor: Actor
    public let session: LoginSession
}

/// The per-request context: the caller's address (for login throttling and audit) and, once
/// authenticated, their identity.
public struct GatewayContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: String
    public var identity: CallerIdentity?
    public var maxUploadSize: Int { 64 * 1024 }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    public var requestDecoder: JSONDecoder { APICoding.makeDecoder() }
    public var responseEncoder: JSONEncoder { APICoding.makeEncoder() }

    func requireIdentity() throws(GatewayError) -> CallerIdentity {
        guard let identity else {
            throw GatewayError(status: .unauthorized, code: APIErrorCode.unauthenticated, message: "log in first: no valid session token was presented")
        }
        return identity
    }
}
