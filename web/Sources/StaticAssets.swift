import Crypto
import Foundation

/// The scripts and styles the pages load, read into memory once at start. Only files with a
/// known type are served, by exact name: nothing reaches the file system per request.
public struct StaticAssets: Sendable {
    public struct Asset: Sendable {
        public let bytes: [UInt8]
        public let contentType: String
        /// A strong validator, so a browser revalidates cheaply instead of caching blindly.
        public let entityTag: String
    }

    static let contentTypes = [
        "js": "text/javascript; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "svg": "image/svg+xml",
    ]

    private let assets: [String: Asset]

    public init() throws(WebResourceError) {
        guard let directory = Bundle.module.url(forResource: "static", withExtension: nil),
              let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
            throw WebResourceError.missing("static")
        }
        var assets: [String: Asset] = [:]
        for name in names {
            guard let type = Self.contentTypes[(name as NSString).pathExtension],
                  let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) else { continue }
            let digest = SHA256.hash(data: data).prefix(12).map { String(format: "%02x", $0) }.joined()
            assets[name] = Asset(bytes: Array(data), contentType: type, entityTag: "\"\(digest)\"")
        }
        for required in ["countersign.js", "webauthn.js", "player.js", "countersign.css"] where assets[required] == nil {
            throw WebResourceError.missing("static/\(required)")
        }
        self.assets = assets
    }

    public subscript(name: String) -> Asset? { assets[name] }
}
