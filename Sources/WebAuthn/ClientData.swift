import Foundation

/// The client data (WebAuthn Level 3 §5.8.1) a browser sends beside a response. Parsed as JSON,
/// never compared against a template: browsers add members (Chrome adds
/// "other_keys_can_be_added_here") and the order of members is not fixed.
public struct ClientData: Hashable, Sendable {
    public static let maximumLength = 4096

    public let type: String
    public let challenge: [UInt8]
    public let origin: String
    public let crossOrigin: Bool
    public let topOrigin: String?

    private struct Wire: Decodable {
        let type: String
        let challenge: String
        let origin: String
        let crossOrigin: Bool?
        let topOrigin: String?
    }

    public init(json bytes: [UInt8]) throws(WebAuthnError) {
        guard bytes.count <= Self.maximumLength else {
            throw WebAuthnError(.inputTooLarge, "client data is \(bytes.count) bytes; at most \(Self.maximumLength) are read")
        }
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: Data(bytes))
        } catch {
            throw WebAuthnError(.malformedClientData, "client data is not a JSON object with string type, challenge and origin")
        }
        guard let challenge = Base64URL.decode(wire.challenge) else {
            throw WebAuthnError(.malformedClientData, "the challenge is not base64url")
        }
        type = wire.type
        self.challenge = challenge
        origin = wire.origin
        crossOrigin = wire.crossOrigin ?? false
        topOrigin = wire.topOrigin
    }
}
