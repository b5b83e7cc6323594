import CountersignCore
import Foundation
import Notifications
import Testing

/// The channels' configuration file: each kind read with its secret from wherever it is given,
/// and every mistake refused with the channel and field named and no secret quoted.
@Suite struct NotificationConfigurationTests {
    typealias F = NoticeFixtures

    static let environment = ["PD_KEY": F.routingKey, "SIEM_HMAC": F.webhookSecret, "EMPTY": ""]

    static func parse(_ yaml: String, environment: [String: String] = environment, privateFile: Bool = true, directory: String = "/nonexistent") throws(NotificationConfigurationError) -> NotificationConfiguration {
        try NotificationConfiguration.parse(yaml, directory: directory, environment: environment, inlineSecretsAllowed: privateFile)
    }

    /// A fresh folder with `files` (name, contents, mode) in it.
    static func folder(_ files: [(String, String, Int)]) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("notifications-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, contents, mode) in files {
            let path = directory.appendingPathComponent(name).path
            try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        }
        return directory
    }

    @Test func everyKindIsReadWithItsSecretFromWhereverItIsGiven() throws {
        let directory = try Self.folder([("slack-webhook", "https://hooks.slack.com/services/T0001/B0002/\(F.slackToken)\n", 0o600)])
        defer { try? FileManager.default.removeItem(at: directory) }
        let configuration = try Self.parse("""
            channels:
              oncall-pagerduty:
                kind: pagerduty
                routing_key_env: PD_KEY
              security-slack:
                kind: slack
                webhook_url_file: slack-webhook
              siem:
                kind: webhook
                url: https://siem.example/hooks/countersign
                secret: \(F.webhookSecret)
              local-pagerduty:
                kind: pagerduty
                routing_key: \(F.routingKey)
                events_url: http://127.0.0.1:8099/v2/enqueue
            """, directory: directory.path)
        #expect(configuration.names.map(\.rawValue) == ["local-pagerduty", "oncall-pagerduty", "security-slack", "siem"])
        #expect(configuration[F.pagerName]?.destination == F.pager().destination)
        #expect(configuration[F.slackName]?.destination == F.slack().destination)
        #expect(configuration[F.webhookName]?.destination == F.webhook().destination)
        let local = try #require(configuration[ChannelName("local-pagerduty")])
        #expect(local.destination == .pagerDuty(routingKey: ChannelSecret(F.routingKey), eventsURL: URL(string: "http://127.0.0.1:8099/v2/enqueue")!))
    }

    @Test func aFileOnDiskIsLoadedAndItsModeDecidesWhetherSecretsMayBeInline() throws {
        let yaml = "channels:\n  siem:\n    kind: webhook\n    url: https://siem.example/hooks/countersign\n    secret: \(F.webhookSecret)\n"
        let directory = try Self.folder([("private.yaml", yaml, 0o600), ("shared.yaml", yaml, 0o644)])
        defer { try? FileManager.default.removeItem(at: directory) }
        let loaded = try NotificationConfiguration.load(path: directory.appendingPathComponent("private.yaml").path, environment: [:])
        #expect(loaded[F.webhookName]?.destination == F.webhook().destination)
        let refusal = #expect(throws: NotificationConfigurationError.self) {
            try NotificationConfiguration.load(path: directory.appendingPathComponent("shared.yaml").path, environment: [:])
        }
        #expect(refusal?.code == .insecureFile)
        #expect(refusal?.field == "secret")
        let missing = #expect(throws: NotificationConfigurationError.self) {
            try NotificationConfiguration.load(path: directory.appendingPathComponent("absent.yaml").path, environment: [:])
        }
        #expect(missing?.code == .unreadable)
    }

    @Test func anEmptyFileOrOneWithoutChannelsConfiguresNone() throws {
        #expect(try Self.parse("").channels.isEmpty)
        #expect(try Self.parse("# nothing yet\n").channels.isEmpty)
        #expect(try Self.parse("channels: {}\n").channels.isEmpty)
    }

    struct Refusal: CustomTestStringConvertible, Sendable {
        let name: String
        let yaml: String
        let code: NotificationConfigurationError.Code
        let channel: String?
        let field: String?
        var privateFile = true
        var testDescription: String { name }
    }

    static let pager = "channels:\n  oncall-pagerduty:\n    kind: pagerduty\n"
    static let webhook = "channels:\n  siem:\n    kind: webhook\n"

    static let refusals: [Refusal] = [
        Refusal(name: "not a mapping at the top", yaml: "- channels\n", code: .invalidValue, channel: nil, field: nil),
        Refusal(name: "an unknown top-level key", yaml: "chanels: {}\n", code: .unknownKey, channel: nil, field: "chanels"),
        Refusal(name: "channels as a list", yaml: "channels:\n  - oncall\n", code: .invalidValue, channel: nil, field: "channels"),
        Refusal(name: "a channel name with capitals", yaml: "channels:\n  OnCall:\n    kind: slack\n", code: .invalidValue, channel: "OnCall", field: nil),
        Refusal(name: "a channel without a kind", yaml: "channels:\n  oncall:\n    routing_key_env: PD_KEY\n", code: .missingField, channel: "oncall", field: "kind"),
        Refusal(name: "an unknown kind", yaml: "channels:\n  oncall:\n    kind: opsgenie\n", code: .invalidValue, channel: "oncall", field: "kind"),
        Refusal(name: "a misspelt setting", yaml: pager + "    routing_kye_env: PD_KEY\n", code: .unknownKey, channel: "oncall-pagerduty", field: "routing_kye_env"),
        Refusal(name: "another kind's setting", yaml: pager + "    routing_key_env: PD_KEY\n    url: https://x.example\n", code: .unknownKey, channel: "oncall-pagerduty", field: "url"),
        Refusal(name: "a secret given no way", yaml: pager, code: .secretSource, channel: "oncall-pagerduty", field: "routing_key"),
        Refusal(name: "a secret given two ways", yaml: pager + "    routing_key_env: PD_KEY\n    routing_key_file: key\n", code: .secretSource, channel: "oncall-pagerduty", field: "routing_key"),
        Refusal(name: "a secret from an unset variable", yaml: pager + "    routing_key_env: NOT_SET\n", code: .secretSource, channel: "oncall-pagerduty", field: "routing_key_env"),
        Refusal(name: "a secret from an empty variable", yaml: pager + "    routing_key_env: EMPTY\n", code: .secretSource, channel: "oncall-pagerduty", field: "routing_key_env"),
        Refusal(name: "a variable name that is not one", yaml: pager + "    routing_key_env: PD-KEY\n", code: .invalidValue, channel: "oncall-pagerduty", field: "routing_key_env"),
        Refusal(name: "a secret from a missing file", yaml: pager + "    routing_key_file: /nonexistent/key\n", code: .secretSource, channel: "oncall-pagerduty", field: "routing_key_file"),
        Refusal(
            name: "an inline secret in a file others can read", yaml: pager + "    routing_key: \(F.routingKey)\n", code: .insecureFile,
            channel: "oncall-pagerduty", field: "routing_key", privateFile: false
        ),
        Refusal(name: "a routing key with a space", yaml: pager + "    routing_key: \"abc def\"\n", code: .invalidValue, channel: "oncall-pagerduty", field: "routing_key"),
        Refusal(name: "a routing key over the bound", yaml: pager + "    routing_key: \(String(repeating: "k", count: 4097))\n", code: .tooLarge, channel: "oncall-pagerduty", field: "routing_key"),
        Refusal(name: "an events URL that is not http", yaml: pager + "    routing_key_env: PD_KEY\n    events_url: ftp://events.example/v2\n", code: .invalidValue, channel: "oncall-pagerduty", field: "events_url"),
        Refusal(name: "plain http to another host", yaml: pager + "    routing_key_env: PD_KEY\n    events_url: http://events.example/v2\n", code: .invalidValue, channel: "oncall-pagerduty", field: "events_url"),
        Refusal(name: "a relative URL", yaml: webhook + "    url: /hooks\n    secret_env: SIEM_HMAC\n", code: .invalidValue, channel: "siem", field: "url"),
        Refusal(name: "a URL with credentials", yaml: webhook + "    url: https://user:pw@siem.example/hooks\n    secret_env: SIEM_HMAC\n", code: .invalidValue, channel: "siem", field: "url"),
        Refusal(name: "a webhook without its URL", yaml: webhook + "    secret_env: SIEM_HMAC\n", code: .missingField, channel: "siem", field: "url"),
        Refusal(name: "a webhook secret too short to resist guessing", yaml: webhook + "    url: https://siem.example/h\n    secret: short-secret\n", code: .invalidValue, channel: "siem", field: "secret"),
        Refusal(name: "a Slack webhook that is not a URL", yaml: "channels:\n  chat:\n    kind: slack\n    webhook_url: hooks.slack.com/services/x\n", code: .invalidValue, channel: "chat", field: "webhook_url"),
        Refusal(name: "a javascript URL", yaml: "channels:\n  chat:\n    kind: slack\n    webhook_url: \"javascript:alert(1)\"\n", code: .invalidValue, channel: "chat", field: "webhook_url"),
        Refusal(name: "a tagged value", yaml: pager + "    routing_key_env: !secret PD_KEY\n", code: .syntax, channel: "oncall-pagerduty", field: "routing_key_env"),
        Refusal(name: "an alias", yaml: "channels:\n  a:\n    kind: &k slack\n    webhook_url: *k\n", code: .syntax, channel: "a", field: "kind"),
        Refusal(name: "a nested value for a secret", yaml: pager + "    routing_key: { value: x }\n", code: .syntax, channel: "oncall-pagerduty", field: "routing_key"),
        Refusal(name: "not YAML", yaml: "channels: [\n", code: .syntax, channel: nil, field: nil),
        Refusal(name: "a channel written twice", yaml: "channels:\n  a:\n    kind: slack\n  a:\n    kind: slack\n", code: .syntax, channel: nil, field: nil),
        Refusal(
            name: "more channels than the bound", yaml: "channels:\n" + (0...64).map { "  c\($0):\n    kind: slack\n" }.joined(), code: .tooLarge, channel: nil,
            field: "channels"
        ),
    ]

    @Test(arguments: refusals)
    func refused(_ refusal: Refusal) {
        let error = #expect(throws: NotificationConfigurationError.self) {
            try Self.parse(refusal.yaml, privateFile: refusal.privateFile)
        }
        #expect(error?.code == refusal.code)
        #expect(error?.channel == refusal.channel)
        #expect(error?.field == refusal.field)
        #expect(!F.leaks(error.map { "\($0)" } ?? ""))
    }

    @Test func aSecretFileOthersCanReadOrALinkIsRefused() throws {
        let directory = try Self.folder([("shared-key", F.routingKey, 0o644), ("real-key", F.routingKey, 0o600)])
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent("linked-key").path, withDestinationPath: "real-key")
        for file in ["shared-key", "linked-key"] {
            let error = #expect(throws: NotificationConfigurationError.self) {
                try Self.parse(Self.pager + "    routing_key_file: \(file)\n", directory: directory.path)
            }
            #expect(error?.code == .insecureFile, "\(file)")
            #expect(error?.field == "routing_key_file")
        }
        #expect(try Self.parse(Self.pager + "    routing_key_file: real-key\n", directory: directory.path).channels.count == 1)
    }

    @Test func aRefusedSecretIsDescribedNeverQuoted() {
        let leakyKey = "SECRET-" + String(repeating: "x", count: 20) + " tail"
        let error = #expect(throws: NotificationConfigurationError.self) {
            try Self.parse(Self.pager + "    routing_key_env: PD_KEY\n", environment: ["PD_KEY": leakyKey])
        }
        #expect(error.map { "\($0)".contains("SECRET-") } == false)
        #expect(error.map { "\($0)" } == "notifications: channel 'oncall-pagerduty', field 'routing_key_env': must be printable ASCII without spaces [invalid_value]")
    }

    @Test func noDescriptionOfAChannelShowsItsSecret() throws {
        let configuration = try Self.parse("""
            channels:
              oncall-pagerduty: { kind: pagerduty, routing_key_env: PD_KEY }
              siem: { kind: webhook, url: "https://siem.example/h", secret_env: SIEM_HMAC }
              security-slack: { kind: slack, webhook_url: "https://hooks.slack.com/services/T0001/B0002/\(F.slackToken)" }
            """)
        for channel in configuration.channels {
            var dumped = ""
            dump(channel, to: &dumped)
            for text in ["\(channel)", String(reflecting: channel), "\(channel.destination)", String(reflecting: channel.destination), dumped] {
                #expect(!F.leaks(text), "\(text)")
            }
        }
        #expect("\(try #require(configuration[F.slackName]))" == "slack channel security-slack")
    }
}
