import CountersignAPI
import CountersignCore
import Foundation
import HTTPTypes

/// Deploy tooling that presented a machine token the gateway issued, resolved once by
/// `AuthenticationMiddleware`, whatever the token's state: revoked and expired tokens are
/// refused by `authorise`, with the reason, not mistaken for an unknown one.
public struct MachineCaller: Sendable {
    public let token: MachineToken
    /// When the gateway resolved the token: the one time this request's checks are judged at.
    public let resolvedAt: Date

    /// Who the caller is in audit rows: `machine:<name>`, never confusable with a username.
    public var auditActor: String { token.auditActor }

    /// Refuses unless the token may do `scope` for `service` now (`MachineTokenRules.authorise`).
    public func authorise(_ scope: MachineScope, service: String) throws(GatewayError) {
        do {
            try MachineTokenRules.authorise(token, for: scope, service: service, at: resolvedAt)
        } catch {
            throw GatewayError(error)
        }
    }
}

extension GatewayError {
    /// A token that no longer works is an authentication failure (401: get a new one); one that
    /// works but may not do this is a refusal (403).
    init(_ refusal: MachineTokenRefusal) {
        let status: HTTPResponse.Status = switch refusal.code {
        case .revoked, .expired: .unauthorized
        case .missingScope, .serviceOutside: .forbidden
        }
        self.init(status: status, code: refusal.code.rawValue, message: refusal.message)
    }

    static let unknownMachineToken = GatewayError(
        status: .unauthorized, code: APIErrorCode.machineTokenInvalid,
        message: "this machine token was not issued by this gateway (mistyped, cut short, or from another gateway); ask an admin for one"
    )

    static let machineTokenRefused = GatewayError(
        status: .forbidden, code: APIErrorCode.machineTokenRefused,
        message: "this route acts for a person, and machine tokens are accepted only by the deploy gate; log in with `countersign login` and unset COUNTERSIGN_TOKEN"
    )
}
