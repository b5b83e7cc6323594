import CountersignAPI
import CountersignCore
import CountersignStore
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// Turns every failure into the JSON error shape with a precise status. Errors nobody planned for
/// become a bare 500 `internal`: logged here with the request id, never shown to the caller.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let alarm: IntegrityAlarm

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            await alarm.raise(for: error)
            throw GatewayError.answering(error, logger: context.logger)
        }
    }

    static func translate(_ error: HTTPError) -> GatewayError {
        switch error.status {
        case .notFound:
            .notFound("route")
        case .contentTooLarge:
            GatewayError(status: .contentTooLarge, code: APIErrorCode.payloadTooLarge, message: "request body is larger than the gateway accepts")
        case .methodNotAllowed:
            GatewayError(status: .methodNotAllowed, code: APIErrorCode.methodNotAllowed, message: "method not allowed on this route")
        case .badRequest:
            .malformed(error.body ?? "malformed request")
        default:
            GatewayError(status: error.status, code: APIErrorCode.internalError, message: error.status.reasonPhrase)
        }
    }
}

extension GatewayError {
    /// The one mapping from any failure to what the caller is told: the JSON API and the pages
    /// both answer with it.
    static func answering(_ error: any Error, logger: Logger) -> GatewayError {
        switch error {
        case let error as GatewayError:
            return error
        case let error as DomainError:
            return GatewayError(error)
        case let error as StoreError:
            // Only faults of the store itself are logged as such: a request for something that
            // is not there or out of bounds is the caller's, and tampering has its own alarm.
            switch error.code {
            case .notFound, .alreadyExists, .invalidQuery, .limitReached, .integrityViolation: break
            default: logger.error("storage failure", metadata: ["error": "\(error)"])
            }
            return GatewayError(error)
        case let error as HTTPError:
            return ErrorMiddleware<GatewayContext>.translate(error)
        case is NIOTooManyBytesError:
            return ErrorMiddleware<GatewayContext>.translate(HTTPError(.contentTooLarge))
        case is HTTPParserError:
            // A body that breaks off (a client gone, or cut by the body timeout) or whose chunked
            // framing is wrong: the client's doing, and not worth an error line per connection.
            return .malformed("the request body is not valid HTTP/1.1")
        default:
            logger.error("unexpected failure", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return GatewayError(status: .internalServerError, code: APIErrorCode.internalError, message: "the gateway failed to handle this request; nothing was changed")
        }
    }
}
