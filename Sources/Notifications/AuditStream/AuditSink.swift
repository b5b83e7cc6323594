import CountersignCore
import Foundation

/// One configured audit stream sink: its name, which the store keys its cursor by and the metrics
/// label, where and how it sends (and with which secret, which only the configuration knows), and
/// how large a batch it takes.
public struct AuditSink: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case http, syslog
    }

    public enum Destination: Hashable, Sendable {
        /// JSON lines POSTed to `url`; signed as the webhook channel signs when there is a secret.
        case http(url: URL, secret: ChannelSecret?)
        /// RFC 5424 messages over TCP with RFC 6587 octet counting, to a loopback relay.
        case syslog(SyslogDestination)
    }

    public let name: AuditSinkName
    public let destination: Destination
    public let limits: AuditStreamLimits

    public init(name: AuditSinkName, destination: Destination, limits: AuditStreamLimits = AuditStreamLimits()) {
        self.name = name
        self.destination = destination
        self.limits = limits
    }

    public var kind: Kind {
        switch destination {
        case .http: .http
        case .syslog: .syslog
        }
    }

    /// The kind and the name: never where it sends nor with what.
    public var description: String { "\(kind.rawValue) sink \(name)" }
}

extension AuditSink: AnsweringEndpoint {
    var answerName: String { name.rawValue }
    var answerSecrets: [ChannelSecret] {
        switch destination {
        case .http(_, let secret?): [secret]
        case .http, .syslog: []
        }
    }
}

/// Where a syslog sink connects and what its messages say of their origin.
public struct SyslogDestination: Hashable, Sendable {
    /// A loopback address (a local relay): plain TCP would carry the audit log across a network in
    /// clear, and TLS (RFC 5425) is not built yet.
    public let host: String
    public let port: Int
    public let facility: SyslogFacility
    /// The HOSTNAME field: the configured name, or this machine's.
    public let hostname: String

    public init(host: String, port: Int, facility: SyslogFacility = .logAudit, hostname: String) {
        self.host = host
        self.port = port
        self.facility = facility
        self.hostname = hostname
    }
}

/// The facilities (RFC 5424 §6.2.1) an audit stream may be filed under, by the names syslog
/// configurations use; `log_audit` (13) by default.
public enum SyslogFacility: String, Hashable, Sendable, CaseIterable {
    case auth, authpriv
    case logAudit = "log_audit"
    case local0, local1, local2, local3, local4, local5, local6, local7

    public var code: Int {
        switch self {
        case .auth: 4
        case .authpriv: 10
        case .logAudit: 13
        case .local0: 16
        case .local1: 17
        case .local2: 18
        case .local3: 19
        case .local4: 20
        case .local5: 21
        case .local6: 22
        case .local7: 23
        }
    }
}
