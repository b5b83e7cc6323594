import CountersignAPI
import CountersignCore
import CountersignStore
import CountersignWeb
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
    /// The peer's address, until `ClientAddressMiddleware` replaces it with the client's own
    /// (the one a trusted proxy forwarded).
    public internal(set) var remoteAddress: String
    public var identity: CallerIdentity?
    /// Deploy tooling's machine token, when one the gateway issued was presented (in whatever
    /// state: `requireMachineOrPerson` judges it). Never an `identity`.
    public internal(set) var machine: MachineCaller?
    /// A bearer value with the machine-token prefix was presented, issued here or not: such a
    /// caller is refused on every route that acts for a person.
    var presentedMachineToken = false
    /// A recorder's upload token (`csr_…`), well formed, not yet looked up: the recording routes
    /// find its recording. Never an `identity`.
    var recordingUpload: RecordingUploadToken?
    /// A bearer value with the upload-token prefix was presented, well formed or not.
    var presentedRecordingToken = false
    /// A token was presented but is unknown, revoked or expired.
    var presentedStaleToken = false
    /// A browser's session cookie came without its anti-forgery header, so it was not used.
    var presentedCookieWithoutCSRF = false
    /// The browser session's token, kept for this request only: the pages derive their
    /// anti-forgery token from it.
    var browserSessionToken: String?
    /// The fields of a page's form post, read and checked once by `WebSessionMiddleware`.
    var form: FormFields?
    public var maxUploadSize: Int { 64 * 1024 }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    public var requestDecoder: JSONDecoder { APICoding.makeDecoder() }
    public var responseEncoder: JSONEncoder { APICoding.makeEncoder() }

    func requireIdentity() throws(GatewayError) -> CallerIdentity {
        guard !presentedMachineToken else { throw GatewayError.machineTokenRefused }
        guard let identity else {
            let message = if presentedStaleToken {
                "the session token is invalid or has expired; log in again"
            } else if presentedRecordingToken {
                "a recording's upload token lets its recorder upload, nothing else; log in"
            } else if presentedCookieWithoutCSRF {
                "a browser session is used only with its anti-forgery token (the \(CSRFToken.header) header); reload the page"
            } else {
                "log in first: no session token was presented"
            }
            throw GatewayError(status: .unauthorized, code: APIErrorCode.unauthenticated, message: message)
        }
        return identity
    }
}
