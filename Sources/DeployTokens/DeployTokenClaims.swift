import Foundation

/// What a deploy token says: who asked for which rollout, who approved it and how, and the window
/// it may start in. Times are whole seconds (JWT NumericDate, RFC 7519 §2); the JSON member names
/// are the registered claims of RFC 7519 §4.1 and Countersign's own.
public struct DeployTokenClaims: Hashable, Sendable {
    /// The one audience a deploy token is for: deploy tooling, never a login or an API.
    public static let deployAudience = "deploy"

    /// `iss`: the gateway's public origin.
    public let issuer: String
    /// `sub`: the requester.
    public let subject: String
    /// `aud`: a single string, `deploy` for every token the gateway signs.
    public let audience: String
    /// `jti`: unique among the gateway's tokens (the credential serial).
    public let tokenID: String
    public let requestID: String
    public let service: String
    public let environment: String
    public let commit: String
    public let approvers: [DeployTokenApprover]
    /// `iat`
    public let issuedAt: Date
    /// `nbf`
    public let notBefore: Date
    /// `exp`: the approved window's end, capped by the longest a credential lives.
    public let expiresAt: Date

    public init(
        issuer: String, subject: String, audience: String = deployAudience, tokenID: String, requestID: String,
        service: String, environment: String, commit: String, approvers: [DeployTokenApprover],
        issuedAt: Date, notBefore: Date, expiresAt: Date
    ) {
        self.issuer = issuer
        self.subject = subject
        self.audience = audience
        self.tokenID = tokenID
        self.requestID = requestID
        self.service = service
        self.environment = environment
        self.commit = commit
        self.approvers = approvers
        self.issuedAt = NumericDate.wholeSeconds(issuedAt)
        self.notBefore = NumericDate.wholeSeconds(notBefore)
        self.expiresAt = NumericDate.wholeSeconds(expiresAt)
    }
}

/// One approval as a token carries it: the reviewer and how they approved.
public struct DeployTokenApprover: Codable, Hashable, Sendable {
    public enum Method: String, Codable, Hashable, Sendable {
        /// A touch of an enrolled hardware security key over the request's content.
        case hardwareKey = "hardware_key"
        /// A plain authenticated session, where the policy allows one.
        case session
    }

    public let name: String
    public let method: Method

    public init(name: String, method: Method) {
        self.name = name
        self.method = method
    }
}

extension DeployTokenClaims: Codable {
    enum CodingKeys: String, CodingKey {
        case issuer = "iss", subject = "sub", audience = "aud", tokenID = "jti", requestID = "request_id"
        case service, environment, commit, approvers
        case issuedAt = "iat", notBefore = "nbf", expiresAt = "exp"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            issuer: try container.decode(String.self, forKey: .issuer), subject: try container.decode(String.self, forKey: .subject),
            audience: try container.decode(String.self, forKey: .audience), tokenID: try container.decode(String.self, forKey: .tokenID),
            requestID: try container.decode(String.self, forKey: .requestID), service: try container.decode(String.self, forKey: .service),
            environment: try container.decode(String.self, forKey: .environment), commit: try container.decode(String.self, forKey: .commit),
            approvers: try container.decode([DeployTokenApprover].self, forKey: .approvers),
            issuedAt: try NumericDate.decode(from: container, forKey: .issuedAt),
            notBefore: try NumericDate.decode(from: container, forKey: .notBefore),
            expiresAt: try NumericDate.decode(from: container, forKey: .expiresAt)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(issuer, forKey: .issuer)
        try container.encode(subject, forKey: .subject)
        try container.encode(audience, forKey: .audience)
        try container.encode(tokenID, forKey: .tokenID)
        try container.encode(requestID, forKey: .requestID)
        try container.encode(service, forKey: .service)
        try container.encode(environment, forKey: .environment)
        try container.encode(commit, forKey: .commit)
        try container.encode(approvers, forKey: .approvers)
        try container.encode(NumericDate.seconds(issuedAt), forKey: .issuedAt)
        try container.encode(NumericDate.seconds(notBefore), forKey: .notBefore)
        try container.encode(NumericDate.seconds(expiresAt), forKey: .expiresAt)
    }
}

/// Seconds since the epoch as a JSON integer, between 1970 and 9999: a token's times come from
/// outside once it has left the gateway, so an absurd one is refused rather than converted.
enum NumericDate {
    static let latest: Int64 = 253_402_300_799

    static func wholeSeconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: TimeInterval(seconds(date)))
    }

    static func seconds(_ date: Date) -> Int64 {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        guard seconds > 0 else { return 0 }
        return seconds < TimeInterval(latest) ? Int64(seconds) : latest
    }

    static func decode<Key: CodingKey>(from container: KeyedDecodingContainer<Key>, forKey key: Key) throws -> Date {
        let seconds = try container.decode(Int64.self, forKey: key)
        guard (0...latest).contains(seconds) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "a time between 1970 and 9999 in whole seconds")
        }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }
}
