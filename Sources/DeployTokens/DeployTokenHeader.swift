/// The JOSE header of a deploy token (RFC 7515 §4): EdDSA (RFC 8037), the signing key's
/// thumbprint, `typ` JWT. The gateway writes these three members and nothing else.
struct DeployTokenHeader: Codable, Hashable, Sendable {
    static let algorithm = "EdDSA"
    static let type = "JWT"
    static let members: Set<String> = ["alg", "kid", "typ"]

    /// Members that would have a verifier fetch, or take from the token itself, the key to check
    /// it with (RFC 7515 §4.1.2-4.1.8), or make it obey extensions it does not know (`crit`): a
    /// token names its key only by `kid`, and only the JWKS the verifier was given says what that is.
    static let refusedMembers: [String: String] = [
        "jku": "points at a key set elsewhere",
        "jwk": "carries its own key",
        "x5u": "points at a certificate elsewhere",
        "x5c": "carries its own certificate chain",
        "x5t": "names a certificate",
        "x5t#S256": "names a certificate",
        "crit": "marks extensions critical that deploy tokens do not have",
    ]

    let alg: String
    let kid: String
    let typ: String

    init(kid: String) {
        alg = Self.algorithm
        self.kid = kid
        typ = Self.type
    }
}

/// The member names of one JSON object, whatever their values: enough to refuse a member before
/// deciding what its value means.
struct JSONMemberNames: Decodable {
    let names: [String]

    private struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        names = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
    }
}

/// A deploy token's header as found, before it is trusted: each member optional, so that a
/// missing one is named rather than reported as undecodable.
struct FoundHeader: Decodable {
    let alg: String?
    let kid: String?
    let typ: String?
}
