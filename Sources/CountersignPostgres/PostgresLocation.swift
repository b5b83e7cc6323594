import Foundation
import PostgresNIO

/// Where the gateway's PostgreSQL database is, from a libpq-style URL:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE]`. The password is kept for the
/// connection only: `description` and every parse error leave it out.
///
/// `sslmode` as libpq spells it: `disable`, `require` (encrypted, server not verified) or
/// `verify-full` (encrypted, the server's certificate checked against the system's trust roots
/// and the host name). The default is `verify-full`, except on a loopback host, where it is
/// `disable`: a URL that does not say otherwise never sends a password in clear over a network.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, CaseIterable {
        case disable
        case require
        case verifyFull = "verify-full"
    }

    public let host: String
    public let port: Int
    public let username: String
    let password: String?
    public let database: String
    public let tlsMode: TLSMode

    /// Longer URLs are refused before they are parsed.
    public static let maximumLength = 2048

    public init(url text: String) throws(PostgresLocationError) {
        guard text.utf8.count <= Self.maximumLength else { throw .tooLong }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else { throw .notAURL }
        guard scheme == "postgres" || scheme == "postgresql" else { throw .scheme }
        guard let host = components.host, !host.isEmpty else { throw .missing("a host") }
        guard let username = components.user, !username.isEmpty else { throw .missing("a user name") }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !database.isEmpty, !database.contains("/") else { throw .missing("a database name, as the path: postgres://USER@HOST/DATABASE") }
        let port = components.port ?? 5432
        guard (1...65_535).contains(port) else { throw .port }
        var tlsMode: TLSMode = Self.isLoopback(host) ? .disable : .verifyFull
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else { throw .unknownParameter(item.name) }
            guard let value = item.value, let mode = TLSMode(rawValue: value) else { throw .sslMode }
            tlsMode = mode
        }
        self.host = host
        self.port = port
        self.username = username
        self.password = components.password
        self.database = database
        self.tlsMode = tlsMode
    }

    public var description: String {
        "postgres://\(username)@\(host):\(port)/\(database)?sslmode=\(tlsMode.rawValue)"
    }

    public var clientConfiguration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch tlsMode {
        case .disable:
            tls = .disable
        case .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            tls = .require(configuration)
        case .verifyFull:
            tls = .require(TLSConfiguration.makeClientConfiguration())
        }
        return PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tls)
    }

    private static func isLoopback(_ host: String) -> Bool {
        let lowered = host.lowercased()
        if lowered == "localhost" || lowered == "::1" || lowered == "[::1]" { return true }
        let octets = lowered.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.first == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}

/// Why a database URL was refused. No case carries the URL: it may hold a password.
public enum PostgresLocationError: Error, Equatable, CustomStringConvertible {
    case tooLong
    case notAURL
    case scheme
    case missing(String)
    case port
    case unknownParameter(String)
    case sslMode

    public var description: String {
        switch self {
        case .tooLong: "the database URL is longer than \(PostgresLocation.maximumLength) bytes"
        case .notAURL: "the database URL is not a URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE)"
        case .scheme: "the database URL must start with postgres:// or postgresql://"
        case .missing(let what): "the database URL has no \(what)"
        case .port: "the database URL's port must be between 1 and 65535"
        case .unknownParameter(let name): "the database URL has a parameter this gateway does not know: \(name.prefix(32)) (only sslmode)"
        case .sslMode: "sslmode must be disable, require or verify-full"
        }
    }
}
