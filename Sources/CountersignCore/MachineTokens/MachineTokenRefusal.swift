/// Why a machine token may not do what it was presented for. `code` is stable (tests and the HTTP
/// layer compare it, and the API answers with it); `message` is for people and never holds the
/// secret.
public struct MachineTokenRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// An admin revoked the token.
        case revoked = "machine_token_revoked"
        /// The token's lifetime has passed.
        case expired = "machine_token_expired"
        /// The token does not hold the scope the action needs.
        case missingScope = "scope_missing"
        /// The token is restricted to services that do not include this one.
        case serviceOutside = "service_not_allowed"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
