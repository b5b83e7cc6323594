import CountersignAPI
import CountersignCore
import CountersignStore
import Foundation
import Hummingbird
import HTTPTypes
import WebAuthn

/// An error that knows its HTTP answer: a status, a stable code and a message for people. The
/// message never holds a secret or an internal detail (paths, SQL, stack traces).
public struct GatewayError: HTTPResponseError, Sendable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public let headers: HTTPFields

    public init(status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        fields[.cacheControl] = "no-store"
        let body = (try? APIJSONEncoder.encode(APIErrorBody(code: code, message: message))) ?? []
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension GatewayError {
    /// The one mapping from domain refusals to HTTP statuses.
    init(_ error: DomainError) {
        let status: HTTPResponse.Status = switch error.code {
        case .invalidField: .badRequest
        case .noMatchingRule, .policyRefused: .unprocessableContent
        case .selfApproval, .notEligible, .forbidden, .hardwareKeyRequired: .forbidden
        case .alreadyApproved, .invalidState, .requestExpired: .conflict
        }
        self.init(status: status, code: error.code.rawValue, message: error.message)
    }

    init(_ error: StoreError) {
        switch error.code {
        case .notFound:
            self.init(status: .notFound, code: APIErrorCode.notFound, message: error.message)
        case .invalidQuery:
            self.init(status: .badRequest, code: DomainError.Code.invalidField.rawValue, message: error.message)
        case .limitReached:
            self.init(status: .tooManyRequests, code: APIErrorCode.limitReached, message: error.message)
        case .integrityViolation:
            self.init(
                status: .internalServerError, code: APIErrorCode.integrityViolation,
                message: "\(error.message): it was changed outside the gateway and is refused until an operator restores it"
            )
        default:
            // The store's own message may name files or SQL: log it, answer in general terms.
            self.init(status: .serviceUnavailable, code: APIErrorCode.storageUnavailable, message: "the gateway's storage refused the operation; nothing was changed")
        }
    }

    static func notFound(_ what: String) -> GatewayError {
        GatewayError(status: .notFound, code: APIErrorCode.notFound, message: "\(what) not found")
    }

    static func malformed(_ message: String) -> GatewayError {
        GatewayError(status: .badRequest, code: APIErrorCode.malformedBody, message: message)
    }
}

extension GatewayError: DecisionRefusal {
    /// WebAuthn refusals: a response that cannot be read is the client's mistake (400); one that
    /// reads but fails a check is refused (403), an authenticator the policy does not accept
    /// included. Attestation roots the gateway cannot use are its own fault (503): nothing is
    /// enrolled unchecked. The code names the check.
    init(_ error: WebAuthnError) {
        let status: HTTPResponse.Status = switch error.code {
        case .malformedCBOR, .malformedStructure, .malformedClientData, .unsupportedKey, .invalidKey, .inputTooLarge: .badRequest
        case .attestationUntrusted, .authenticatorNotAllowed: .forbidden
        case .invalidTrustConfiguration: .serviceUnavailable
        default: .forbidden
        }
        self.init(status: status, code: error.code.rawValue, message: error.reason)
    }
}
