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
    /// A token was presented but is unknown, revoked or expired.
    var presentedStaleToken = false
    public var maxUploadSize: Int { 64 * 1024 }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    public var requestDecoder: JSONDecoder { APICoding.makeDecoder() }
    public var responseEncoder: JSONEncoder { APICoding.makeEncoder() }

    func requireIdentity() throws(GatewayError) -> CallerIdentity {
        guard let identity else {
            let message = presentedStaleToken
                ? "the session token is invalid or has expired; log in again"
                : "log in first: no session token was presented"
            throw GatewayError(status: .unauthorized, code: APIErrorCode.unauthenticated, message: message)
        }
        return identity
    }
}
