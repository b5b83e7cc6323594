/// The body of every error response: `{"error":{"code":"…","message":"…"}}`.
public struct APIErrorBody: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        public let code: String
        public let message: String
    }

    public let error: Detail

    public init(code: String, message: String) {
        self.error = Detail(code: code, message: message)
    }
}

/// Error codes the API answers with, beyond the domain's own (`DomainError.Code`).
public enum APIErrorCode {
    public static let malformedBody = "malformed_body"
    public static let payloadTooLarge = "payload_too_large"
    public static let unauthenticated = "unauthenticated"
    public static let invalidCredentials = "invalid_credentials"
    public static let accountUnavailable = "account_unavailable"
    /// The password was right but the name was not spelled as the account spells it.
    public static let noncanonicalUsername = "noncanonical_username"
    public static let rateLimited = "rate_limited"
    public static let notFound = "not_found"
    public static let methodNotAllowed = "method_not_allowed"
    public static let unsupportedMediaType = "unsupported_media_type"
    public static let storageUnavailable = "storage_unavailable"
    /// Stored content was changed outside the gateway (answered 500: tampering, not an outage).
    public static let integrityViolation = "integrity_violation"
    public static let authenticationUnavailable = "authentication_unavailable"
    public static let internalError = "internal"
    public static let noEnrolledKey = "no_enrolled_key"
    public static let keysUnavailable = "hardware_keys_unavailable"
    public static let limitReached = "limit_reached"
    /// The gateway holds as many connections as it accepts (answered 503 with Retry-After).
    public static let serverBusy = "server_busy"
    /// A page's form post without the session's anti-forgery token, or with a wrong one.
    public static let forgeryRefused = "csrf_refused"
    /// A credential's signing key could not sign: nothing was issued (answered 503).
    public static let signingUnavailable = "signing_unavailable"
    /// A recorded session's certificate was asked for, and the gateway has no recorder command.
    public static let recorderUnconfigured = "recorder_unconfigured"
    /// An upload without a token its gateway issued.
    public static let recordingTokenInvalid = "recording_token_invalid"
    /// An upload token presented for another recording than its own.
    public static let recordingTokenMismatch = "recording_token_mismatch"
    /// A chunk over the size bound.
    public static let chunkTooLarge = "chunk_too_large"
}
