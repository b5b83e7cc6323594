import Foundation

/// The local paths the pages redirect to. A `next` taken from a query string must stay on this
/// gateway: "/x" is local; "//evil.example" and "/\evil.example" are other sites to a browser.
enum WebPaths {
    static let home = "/reviews"
    static let maximumLength = 256

    static func local(_ candidate: String?) -> String {
        guard let candidate, candidate.utf8.count <= maximumLength, candidate.hasPrefix("/"),
              !candidate.hasPrefix("//"), !candidate.hasPrefix("/\\"),
              candidate.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else { return home }
        return candidate
    }

    static func escaped(_ path: String) -> String {
        path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(.init(charactersIn: "&=?#+"))) ?? home
    }

    static func escapedQuery(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
    }

    /// Where "Go back" leads from a failed page or post.
    static func back(from path: String) -> String {
        if path.hasPrefix("/requests/") {
            let parts = path.split(separator: "/")
            if parts.count >= 2 { return "/requests/\(parts[1])" }
        }
        return path.hasPrefix("/keys") ? "/keys" : home
    }
}
