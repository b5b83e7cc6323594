import CountersignCore
import Foundation
import Notifications
import Testing

/// The `audit_stream:` part of the notifications file: each kind of sink read with its settings
/// and optional secret, defaults where nothing is said, and every mistake refused with a typed
/// error naming the sink and the field, never quoting a value.
@Suite struct AuditSinkConfigurationTests {
    typealias F = NoticeFixtures

    static func parse(_ yaml: String, environment: [String: String] = ["SIEM_HMAC": F.webhookSecret]) throws(NotificationConfigurationError) -> NotificationConfiguration {
        try NotificationConfiguration.parse(yaml, directory: "/nonexistent", environment: environment, inlineSecretsAllowed: true)
    }

    @Test func eachKindOfSinkIsReadWithItsSettingsAndDefaults() throws {
        let configuration = try Self.parse("""
            channels:
              siem: { kind: webhook, url: "https://siem.example/h", secret_env: SIEM_HMAC }
            audit_stream:
              detection:
                kind: http
                url: https://detect.example/ingest
                secret_env: SIEM_HMAC
                batch_events: 250
                batch_bytes: 65536
              plain-http:
                kind: http
                url: http://127.0.0.1:9000/ingest
              siem-syslog:
                kind: syslog
                address: 127.0.0.1:6514
                facility: local3
                hostname: gateway-1
              relay-v6:
                kind: syslog
                address: "[::1]:514"
            """)
        #expect(configuration.auditSinks.map(\.name.rawValue) == ["detection", "plain-http", "relay-v6", "siem-syslog"])
        let sinks = Dictionary(uniqueKeysWithValues: configuration.auditSinks.map { ($0.name.rawValue, $0) })
        #expect(sinks["detection"]?.destination == .http(url: URL(string: "https://detect.example/ingest")!, secret: ChannelSecret(F.webhookSecret)))
        #expect(sinks["detection"]?.limits == AuditStreamLimits(events: 250, bytes: 65536))
        #expect(sinks["plain-http"]?.destination == .http(url: URL(string: "http://127.0.0.1:9000/ingest")!, secret: nil))
        #expect(sinks["plain-http"]?.limits == AuditStreamLimits())
        #expect(sinks["siem-syslog"]?.destination == .syslog(SyslogDestination(host: "127.0.0.1", port: 6514, facility: .local3, hostname: "gateway-1")))
        guard case .syslog(let relay)? = sinks["relay-v6"]?.destination else {
            Issue.record("relay-v6 is not a syslog sink")
            return
        }
        #expect(relay.host == "::1" && relay.port == 514 && relay.facility == .logAudit && !relay.hostname.isEmpty)
        #expect(configuration.names == [F.webhookName], "sinks are not channels")
        #expect("\(try #require(sinks["detection"]))" == "http sink detection")
    }

    @Test func aFileWithoutAnAuditStreamStreamsNowhere() throws {
        #expect(try Self.parse("channels: {}\n").auditSinks.isEmpty)
        #expect(try Self.parse("audit_stream:\n").auditSinks.isEmpty)
    }

    struct Refusal: CustomTestStringConvertible, Sendable {
        let name: String
        let yaml: String
        let code: NotificationConfigurationError.Code
        let sink: String?
        let field: String?
        var testDescription: String { name }
    }

    static let http = "audit_stream:\n  detection:\n    kind: http\n"
    static let syslog = "audit_stream:\n  siem-syslog:\n    kind: syslog\n"

    static let refusals: [Refusal] = [
        Refusal(name: "the audit stream as a list", yaml: "audit_stream:\n  - detection\n", code: .invalidValue, sink: nil, field: "audit_stream"),
        Refusal(name: "a sink name with capitals", yaml: "audit_stream:\n  Detection:\n    kind: http\n", code: .invalidValue, sink: "Detection", field: nil),
        Refusal(name: "a sink without a kind", yaml: "audit_stream:\n  detection:\n    url: https://d.example\n", code: .missingField, sink: "detection", field: "kind"),
        Refusal(name: "an unknown kind", yaml: "audit_stream:\n  detection:\n    kind: kafka\n", code: .invalidValue, sink: "detection", field: "kind"),
        Refusal(name: "a channel's kind", yaml: "audit_stream:\n  detection:\n    kind: webhook\n", code: .invalidValue, sink: "detection", field: "kind"),
        Refusal(name: "an HTTP sink without its URL", yaml: http, code: .missingField, sink: "detection", field: "url"),
        Refusal(name: "a URL that is not http", yaml: http + "    url: ftp://d.example/in\n", code: .invalidValue, sink: "detection", field: "url"),
        Refusal(name: "plain http to another host", yaml: http + "    url: http://d.example/in\n", code: .invalidValue, sink: "detection", field: "url"),
        Refusal(name: "a URL with credentials", yaml: http + "    url: https://user:pw@d.example/in\n", code: .invalidValue, sink: "detection", field: "url"),
        Refusal(name: "a URL over its bound", yaml: http + "    url: https://d.example/\(String(repeating: "a", count: 2100))\n", code: .invalidValue, sink: "detection", field: "url"),
        Refusal(name: "a secret too short", yaml: http + "    url: https://d.example/in\n    secret: short\n", code: .invalidValue, sink: "detection", field: "secret"),
        Refusal(name: "a secret over its bound", yaml: http + "    url: https://d.example/in\n    secret: \(String(repeating: "s", count: 4097))\n", code: .tooLarge, sink: "detection", field: "secret"),
        Refusal(name: "a secret given two ways", yaml: http + "    url: https://d.example/in\n    secret: \(F.webhookSecret)\n    secret_env: SIEM_HMAC\n", code: .secretSource, sink: "detection", field: "secret"),
        Refusal(name: "a secret from an unset variable", yaml: http + "    url: https://d.example/in\n    secret_env: UNSET\n", code: .secretSource, sink: "detection", field: "secret_env"),
        Refusal(name: "a syslog setting on an HTTP sink", yaml: http + "    url: https://d.example/in\n    facility: auth\n", code: .unknownKey, sink: "detection", field: "facility"),
        Refusal(name: "a misspelt setting", yaml: http + "    url: https://d.example/in\n    batch_event: 10\n", code: .unknownKey, sink: "detection", field: "batch_event"),
        Refusal(name: "no batch at all", yaml: http + "    url: https://d.example/in\n    batch_events: 0\n", code: .invalidValue, sink: "detection", field: "batch_events"),
        Refusal(name: "a batch larger than a store page", yaml: http + "    url: https://d.example/in\n    batch_events: 1001\n", code: .tooLarge, sink: "detection", field: "batch_events"),
        Refusal(name: "a batch size with more digits than any bound", yaml: http + "    url: https://d.example/in\n    batch_events: \(String(repeating: "9", count: 40))\n", code: .tooLarge, sink: "detection", field: "batch_events"),
        Refusal(name: "a negative batch size", yaml: http + "    url: https://d.example/in\n    batch_events: -5\n", code: .invalidValue, sink: "detection", field: "batch_events"),
        Refusal(name: "batch bytes under one event", yaml: http + "    url: https://d.example/in\n    batch_bytes: 100\n", code: .invalidValue, sink: "detection", field: "batch_bytes"),
        Refusal(name: "batch bytes over the bound", yaml: http + "    url: https://d.example/in\n    batch_bytes: 8388608\n", code: .tooLarge, sink: "detection", field: "batch_bytes"),
        Refusal(name: "a syslog sink without its address", yaml: syslog, code: .missingField, sink: "siem-syslog", field: "address"),
        Refusal(name: "an address without a port", yaml: syslog + "    address: 127.0.0.1\n", code: .invalidValue, sink: "siem-syslog", field: "address"),
        Refusal(name: "a port out of range", yaml: syslog + "    address: 127.0.0.1:70000\n", code: .invalidValue, sink: "siem-syslog", field: "address"),
        Refusal(name: "port zero", yaml: syslog + "    address: 127.0.0.1:0\n", code: .invalidValue, sink: "siem-syslog", field: "address"),
        Refusal(name: "plain TCP across a network", yaml: syslog + "    address: siem.example:6514\n", code: .invalidValue, sink: "siem-syslog", field: "address"),
        Refusal(name: "an address over its bound", yaml: syslog + "    address: \(String(repeating: "a", count: 300)):514\n", code: .tooLarge, sink: "siem-syslog", field: "address"),
        Refusal(name: "an unknown facility", yaml: syslog + "    address: 127.0.0.1:514\n    facility: kern\n", code: .invalidValue, sink: "siem-syslog", field: "facility"),
        Refusal(name: "a hostname with a space", yaml: syslog + "    address: 127.0.0.1:514\n    hostname: \"gate way\"\n", code: .invalidValue, sink: "siem-syslog", field: "hostname"),
        Refusal(name: "a hostname over RFC 5424's 255", yaml: syslog + "    address: 127.0.0.1:514\n    hostname: \(String(repeating: "h", count: 256))\n", code: .tooLarge, sink: "siem-syslog", field: "hostname"),
        Refusal(name: "an HTTP setting on a syslog sink", yaml: syslog + "    address: 127.0.0.1:514\n    url: https://d.example\n", code: .unknownKey, sink: "siem-syslog", field: "url"),
        Refusal(name: "a tagged value", yaml: syslog + "    address: !addr 127.0.0.1:514\n", code: .syntax, sink: "siem-syslog", field: "address"),
        Refusal(
            name: "more sinks than the bound", yaml: "audit_stream:\n" + (0...16).map { "  s\($0):\n    kind: syslog\n    address: 127.0.0.1:514\n" }.joined(),
            code: .tooLarge, sink: nil, field: "audit_stream"
        ),
    ]

    @Test(arguments: refusals)
    func refused(_ refusal: Refusal) {
        let error = #expect(throws: NotificationConfigurationError.self) { try Self.parse(refusal.yaml) }
        #expect(error?.code == refusal.code)
        #expect(error?.sink == refusal.sink)
        #expect(error?.channel == nil, "a sink's problem is not a channel's")
        #expect(error?.field == refusal.field)
        #expect(!F.leaks(error.map { "\($0)" } ?? ""))
    }

    @Test func aRefusalNamesTheSinkAndFieldAndNeverQuotesTheValue() {
        let error = #expect(throws: NotificationConfigurationError.self) {
            try Self.parse(Self.http + "    url: https://d.example/in\n    secret_env: SIEM_HMAC\n", environment: ["SIEM_HMAC": "SECRET-with a space"])
        }
        #expect(error.map { "\($0)" } == "notifications: audit_stream sink 'detection', field 'secret_env': must be printable ASCII without spaces [invalid_value]")
    }

    @Test func noDescriptionOfASinkShowsItsSecret() throws {
        let configuration = try Self.parse(Self.http + "    url: https://d.example/in\n    secret_env: SIEM_HMAC\n")
        let sink = try #require(configuration.auditSinks.first)
        var dumped = ""
        dump(sink, to: &dumped)
        for text in ["\(sink)", String(reflecting: sink), "\(sink.destination)", dumped] {
            #expect(!F.leaks(text), "\(text)")
        }
    }
}
