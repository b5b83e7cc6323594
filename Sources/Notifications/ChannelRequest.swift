import Foundation

/// One delivery as it goes on the wire: a POST of `body` to `url` with `headers`. Made by the
/// encoders from a notice, sent by the transport. It may hold a secret (a routing key in the body,
/// a Slack URL), so printing it shows only its size.
public struct ChannelRequest: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// What every delivery says it is from.
    public static let userAgent = "Countersign"

    public let url: String
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]

    public init(url: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.url = url
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var description: String { "POST of \(body.count) bytes" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
