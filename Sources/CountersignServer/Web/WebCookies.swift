import CountersignWeb
import Foundation
import Hummingbird
import HTTPTypes

/// The cookies of the reviewer pages. The session cookie holds the same kind of token as the
/// CLI's bearer token (only its hash is stored); it is HttpOnly, SameSite=Strict, and Secure with
/// the `__Host-` prefix when the gateway is served over https, so no script, other site or
/// sibling domain can read, send or overwrite it.
struct WebCookies: Sendable {
    /// The gateway's public URL is https: cookies are Secure and carry the `__Host-` prefix.
    let secure: Bool

    static let csrfHeader = HTTPField.Name(CSRFToken.header)!
    /// How long a served login form stays usable.
    static let loginFormLifetime = 15 * 60
    static let maximumValueLength = 128

    init(publicURL: String?) {
        secure = publicURL.flatMap(URL.init(string:))?.scheme == "https"
    }

    var sessionName: String { secure ? "__Host-countersign_session" : "countersign_session" }
    var loginName: String { secure ? "__Host-countersign_login" : "countersign_login" }

    func sessionToken(in request: Request) -> String? {
        value(named: sessionName, in: request)
    }

    func loginToken(in request: Request) -> String? {
        value(named: loginName, in: request)
    }

    func session(_ token: String, lifetime: TimeInterval) -> Cookie {
        cookie(sessionName, token, maxAge: max(0, Int(lifetime)))
    }

    func login(_ token: String) -> Cookie {
        cookie(loginName, token, maxAge: Self.loginFormLifetime)
    }

    func expired(_ name: String) -> Cookie {
        cookie(name, "", maxAge: 0)
    }

    private func value(named name: String, in request: Request) -> String? {
        guard let value = request.cookies[name]?.value, !value.isEmpty, value.utf8.count <= Self.maximumValueLength else { return nil }
        return value
    }

    private func cookie(_ name: String, _ value: String, maxAge: Int) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }
}
