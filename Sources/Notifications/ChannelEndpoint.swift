import Foundation

/// Where a channel posts: an http(s) URL with a host, no credentials and no fragment. Plain http is
/// taken only for a loopback host (the tests' receivers, a local relay): anywhere else it would
/// carry a routing key or a signed notice across a network in clear.
enum ChannelEndpoint {
    static let maximumLength = 2048

    enum Parsed {
        case url(URL)
        /// Why not, as a phrase to follow the field's name.
        case refused(String)
    }

    static func parse(_ text: String) -> Parsed {
        guard text.utf8.count <= maximumLength else { return .refused("is longer than \(maximumLength) bytes") }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty, let url = components.url
        else { return .refused("is not an absolute URL") }
        guard scheme == "https" || scheme == "http" else { return .refused("must be an http or https URL") }
        guard components.user == nil, components.password == nil else {
            return .refused("must not carry a user or password (give secrets through the channel's secret fields)")
        }
        guard components.fragment == nil else { return .refused("must not have a fragment") }
        guard scheme == "https" || isLoopback(host) else { return .refused("must be https unless its host is a loopback address") }
        return .url(url)
    }

    static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.first == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
