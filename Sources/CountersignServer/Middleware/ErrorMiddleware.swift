import CountersignAPI
import CountersignCore
import CountersignStore
import Hummingbird
import Logging
import NIOCore

/// Turns every failure into the JSON error shape with a precise status. Errors nobody planned for
/// become a bare 500 `internal`: logged here with the request id, never shown to the caller.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as GatewayError {
            throw error
        } catch let error as DomainError {
            throw GatewayError(error)
        } catch let error as StoreError {
            context.logger.error("storage failure", metadata: ["error": "\(error)"])
            throw GatewayError(error)
        } catch let error as HTTPError {
            throw Self.translate(error)
        } catch is NIOTooManyBytesError {
            throw Self.translate(HTTPError(.contentTooLarge))
        } catch {
            context.logger.error("unexpected failure", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            throw GatewayError(status: .internalServerError, code: APIErrorCode.internalError, message: "the gateway failed to handle this request; nothing was changed")
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
