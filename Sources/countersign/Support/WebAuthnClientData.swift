import Foundation
import WebAuthn

/// The client data (WebAuthn Level 3 §5.8.1) this CLI writes where a browser would: its members
/// in the order of the spec's serialization (§5.8.1.1), type, challenge, origin and crossOrigin.
/// The challenge and origin are checked first to need no JSON escaping, so the bytes hashed and
/// signed are exactly the bytes the gateway parses.
enum WebAuthnClientData {
    static func assertion(challenge: String, origin: String) throws(KeyTouchProblem) -> [UInt8] {
        guard challenge.utf8.count <= 256, Base64URL.decode(challenge) != nil else {
            throw .unusableChallenge("the challenge is not base64url")
        }
        let origin = try canonicalOrigin(origin)
        return Array(#"{"type":"webauthn.get","challenge":"\#(challenge)","origin":"\#(origin)","crossOrigin":false}"#.utf8)
    }

    /// `origin` when it is one in its one spelling (scheme, lowercase host, port only when not
    /// the scheme's own), as the gateway derives its origin from its public URL.
    static func canonicalOrigin(_ origin: String) throws(KeyTouchProblem) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.-:/[]".unicodeScalars)
        guard origin.utf8.count <= 300, origin.unicodeScalars.allSatisfy(allowed.contains),
              let components = URLComponents(string: origin), let scheme = components.scheme, scheme == "https" || scheme == "http",
              let host = components.host, !host.isEmpty, components.path.isEmpty, components.query == nil, components.user == nil
        else {
            throw .unusableChallenge("'\(origin.prefix(300))' is not an origin such as https://countersign.example.com")
        }
        let port = components.port.map { ":\($0)" } ?? ""
        let rebuilt = "\(scheme)://\(host)\(port)"
        guard rebuilt == origin else { throw .unusableChallenge("'\(origin)' is not an origin in its plain form (\(rebuilt))") }
        return origin
    }

    /// The origin of the gateway's URL as the CLI reaches it: what a gateway that does not name
    /// its origin in its options expects, when the CLI uses its public URL.
    static func origin(of server: String) -> String {
        guard let components = URLComponents(string: server), let scheme = components.scheme?.lowercased(), let host = components.host?.lowercased() else {
            return server
        }
        return "\(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")"
    }
}
