import Foundation
import WebAuthn

extension GatewayConfiguration {
    /// The relying party keys are bound to, from the public URL: its host is the rpId and its
    /// scheme, host and port the one origin. Nil without a public URL (no key ceremonies then).
    /// Browsers allow WebAuthn only in a secure context: https, or http on localhost.
    func relyingParty() throws(GatewayBuildError) -> RelyingParty? {
        guard let publicURL else { return nil }
        guard let components = URLComponents(string: publicURL), let scheme = components.scheme?.lowercased(),
              let host = components.host?.lowercased(), !host.isEmpty
        else {
            throw .publicURL("\(publicURL) is not an absolute URL such as https://countersign.example.com")
        }
        guard scheme == "https" || (scheme == "http" && host == "localhost") else {
            throw .publicURL("security keys work only over https, or http on localhost; \(publicURL) is neither")
        }
        guard components.path.isEmpty || components.path == "/", components.query == nil, components.fragment == nil, components.user == nil else {
            throw .publicURL("\(publicURL) must be an origin only (scheme, host and port), without a path")
        }
        let port = components.port.map { ":\($0)" } ?? ""
        return RelyingParty(id: host, origin: "\(scheme)://\(host)\(port)")
    }
}
