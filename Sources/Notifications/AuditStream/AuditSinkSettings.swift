import CountersignCore
import Foundation
import Yams

/// The `audit_stream:` part of the notifications file: named sinks, each of a kind, read with the
/// same strictness as channels (unknown keys, anchors, aliases and tags refused; secrets given
/// exactly one way; no value quoted in a refusal, which names the sink and the field).
///
/// ```yaml
/// audit_stream:
///   detection:
///     kind: http
///     url: https://detect.example.com/ingest/countersign
///     secret_env: COUNTERSIGN_DETECTION_HMAC     # optional: sign as the webhook channel does
///     batch_events: 100                          # optional, 1 to 1000
///     batch_bytes: 1048576                       # optional, 4096 to 4194304
///   siem-syslog:
///     kind: syslog
///     address: 127.0.0.1:6514                    # a loopback relay
///     facility: log_audit                        # optional
///     hostname: gateway-1                        # optional: this machine's name
/// ```
enum AuditSinkSettings {
    static let maximumSinks = 16
    static let maximumHostnameLength = 255

    static func sinks(_ node: Node, reader: SecretReader, machineName: String) throws(NotificationConfigurationError) -> [AuditSink] {
        guard case .mapping(let mapping) = node, node.anchor == nil, node.tag.isPlain(.map) else {
            throw NotificationConfigurationError(.invalidValue, field: "audit_stream", "must be a mapping of sink names to their settings")
        }
        guard mapping.count <= maximumSinks else {
            throw NotificationConfigurationError(.tooLarge, field: "audit_stream", "at most \(maximumSinks) sinks")
        }
        var sinks: [AuditSink] = []
        var seen: Set<AuditSinkName> = []
        for (key, settings) in mapping {
            let written = try ConfigurationFields.text(key, channel: nil, field: "audit_stream")
            let name: AuditSinkName
            do {
                name = try AuditSinkName(written)
            } catch {
                throw NotificationConfigurationError(.invalidValue, sink: written, error.message)
            }
            guard seen.insert(name).inserted else {
                throw NotificationConfigurationError(.invalidValue, sink: written, "is configured twice")
            }
            do {
                sinks.append(try sink(name, settings, reader, machineName: machineName))
            } catch {
                // The readers shared with channels name the place as a channel.
                throw error.inSink()
            }
        }
        return sinks.sorted { $0.name < $1.name }
    }

    private static func sink(_ name: AuditSinkName, _ node: Node, _ reader: SecretReader, machineName: String) throws(NotificationConfigurationError) -> AuditSink {
        let place = name.rawValue
        let kinds = AuditSink.Kind.allCases.map(\.rawValue)
        let kindNode = try ConfigurationFields(node, allowed: nil, channel: place).required("kind")
        guard let kind = AuditSink.Kind(rawValue: try ConfigurationFields.text(kindNode, channel: place, field: "kind")) else {
            throw NotificationConfigurationError(.invalidValue, channel: place, field: "kind", "must be one of \(kinds.joined(separator: ", "))")
        }
        let common = ["kind", "batch_events", "batch_bytes"]
        switch kind {
        case .http:
            let fields = try ConfigurationFields(node, allowed: common + ["url"] + SecretReader.keys("secret"), channel: place)
            let url: URL
            switch ChannelEndpoint.parse(try ConfigurationFields.text(fields.required("url"), channel: place, field: "url")) {
            case .url(let parsed): url = parsed
            case .refused(let problem): throw NotificationConfigurationError(.invalidValue, channel: place, field: "url", problem)
            }
            var secret: ChannelSecret?
            if SecretReader.keys("secret").contains(where: { fields.present($0) != nil }) {
                secret = try reader.secret("secret", in: fields, channel: place) { text in
                    if let problem = SecretReader.isToken(text) { return problem }
                    let minimum = NotificationConfiguration.minimumWebhookSecretLength
                    return text.utf8.count < minimum ? "is shorter than \(minimum) bytes" : nil
                }
            }
            return AuditSink(name: name, destination: .http(url: url, secret: secret), limits: try limits(fields, place))
        case .syslog:
            let fields = try ConfigurationFields(node, allowed: common + ["address", "facility", "hostname"], channel: place)
            let (host, port) = try address(ConfigurationFields.text(fields.required("address"), channel: place, field: "address"), place)
            var facility = SyslogFacility.logAudit
            if let given = fields.present("facility") {
                let text = try ConfigurationFields.text(given, channel: place, field: "facility")
                guard let named = SyslogFacility(rawValue: text) else {
                    let names = SyslogFacility.allCases.map(\.rawValue).joined(separator: ", ")
                    throw NotificationConfigurationError(.invalidValue, channel: place, field: "facility", "must be one of \(names)")
                }
                facility = named
            }
            var hostname = syslogHostname(machineName) ?? "-"
            if let given = fields.present("hostname") {
                let text = try ConfigurationFields.text(given, channel: place, field: "hostname")
                guard text.utf8.count <= maximumHostnameLength else {
                    throw NotificationConfigurationError(.tooLarge, channel: place, field: "hostname", "is longer than \(maximumHostnameLength) bytes")
                }
                guard let checked = syslogHostname(text) else {
                    throw NotificationConfigurationError(.invalidValue, channel: place, field: "hostname", "must be printable ASCII without spaces")
                }
                hostname = checked
            }
            let destination = SyslogDestination(host: host, port: port, facility: facility, hostname: hostname)
            return AuditSink(name: name, destination: .syslog(destination), limits: try limits(fields, place))
        }
    }

    private static func limits(_ fields: ConfigurationFields, _ place: String) throws(NotificationConfigurationError) -> AuditStreamLimits {
        let events = try number(fields, "batch_events", place, range: 1...AuditStreamLimits.maximumEvents) ?? AuditStreamLimits.defaultEvents
        let bytes = try number(fields, "batch_bytes", place, range: AuditStreamLimits.minimumBytes...AuditStreamLimits.maximumBytes)
            ?? AuditStreamLimits.defaultBytes
        return AuditStreamLimits(events: events, bytes: bytes)
    }

    /// A decimal number within `range`, or nil when the field is absent.
    private static func number(_ fields: ConfigurationFields, _ field: String, _ place: String, range: ClosedRange<Int>) throws(NotificationConfigurationError) -> Int? {
        guard let node = fields.present(field) else { return nil }
        let text = try ConfigurationFields.text(node, channel: place, field: field)
        guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw NotificationConfigurationError(.invalidValue, channel: place, field: field, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        // More digits than the bound has cannot be within it (and would overflow an Int).
        guard text.utf8.count <= String(range.upperBound).utf8.count, let value = Int(text), value <= range.upperBound else {
            throw NotificationConfigurationError(.tooLarge, channel: place, field: field, "must be at most \(range.upperBound)")
        }
        guard value >= range.lowerBound else {
            throw NotificationConfigurationError(.invalidValue, channel: place, field: field, "must be at least \(range.lowerBound)")
        }
        return value
    }

    /// `host:port` (`[::1]:port` for IPv6) of a loopback host.
    private static func address(_ text: String, _ place: String) throws(NotificationConfigurationError) -> (String, Int) {
        func refuse(_ problem: String) -> NotificationConfigurationError {
            NotificationConfigurationError(.invalidValue, channel: place, field: "address", problem)
        }
        guard text.utf8.count <= 270 else { throw NotificationConfigurationError(.tooLarge, channel: place, field: "address", "is longer than 270 bytes") }
        guard let colon = text.lastIndex(of: ":") else { throw refuse("must be host:port") }
        var host = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !portText.isEmpty, portText.utf8.count <= 5, portText.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let port = Int(portText), (1...65535).contains(port)
        else { throw refuse("must be host:port with a port from 1 to 65535") }
        guard ChannelEndpoint.isLoopback(host) else {
            throw refuse("must be a loopback host: plain TCP would carry the audit log across a network in clear (relay it from a local syslog daemon)")
        }
        return (host, port)
    }

    /// RFC 5424's HOSTNAME: 1 to 255 printable ASCII characters, no spaces.
    static func syslogHostname(_ text: String) -> String? {
        guard (1...maximumHostnameLength).contains(text.utf8.count), text.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else { return nil }
        return text
    }
}
