import Crypto
import Foundation

/// The anti-forgery token of a browser session: an HMAC of a fixed label under the session's own
/// secret token. Only the holder of the session cookie can know it, it needs no storage, and it
/// dies with the session. Every state-changing form carries it; the scripts send it as a header.
public enum CSRFToken {
    public static let formField = "csrf"
    public static let header = "X-CSRF-Token"
    static let label = Data("countersign/csrf/v1".utf8)

    public static func derive(fromSessionToken token: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: label, using: SymmetricKey(data: Data(token.utf8)))
        return Data(mac).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Compares in time independent of where the strings differ.
    public static func matches(_ presented: String?, sessionToken: String) -> Bool {
        guard let presented, presented.utf8.count <= 128 else { return false }
        return constantTimeEqual(Array(presented.utf8), Array(derive(fromSessionToken: sessionToken).utf8))
    }

    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
