import CountersignCore
import Foundation
import SecureFiles
import Yams

/// The gateway's notification channels, read from the file it is given (`--notifications FILE`),
/// never from `policies/`: policies name channels, and only this file says where a channel sends
/// and with which secret, so a change to policies reviewed in the open cannot redirect pages.
///
/// ```yaml
/// channels:
///   oncall-pagerduty:
///     kind: pagerduty
///     routing_key_env: COUNTERSIGN_PAGERDUTY_KEY    # or routing_key: …, or routing_key_file: PATH
///     events_url: https://events.pagerduty.com/v2/enqueue   # the default
///   security-slack:
///     kind: slack
///     webhook_url_file: /etc/countersign/slack-webhook
///   siem:
///     kind: webhook
///     url: https://siem.example.com/hooks/countersign
///     secret_env: COUNTERSIGN_SIEM_HMAC
/// ```
///
/// Each secret is given exactly one way: inline, `*_env` (an environment variable's name) or
/// `*_file` (a 0600 regular file, not a link, relative to this file's folder; one trailing newline
/// is dropped). An inline secret is refused in a file that group or others can read.
public struct NotificationConfiguration: Sendable {
    public static let maximumFileSize = 64 * 1024
    public static let maximumChannels = 64
    public static let maximumSecretLength = 4096
    /// An HMAC key shorter than this is guessable offline from one signed notice.
    public static let minimumWebhookSecretLength = 16

    /// By name, in name order.
    public let channels: [NotificationChannel]
    /// The secrets the paging service signs its incident webhooks with: the current one, and the
    /// previous one while a rotation is under way. Empty: the gateway takes no incident webhook.
    public let incidentWebhookSecrets: [ChannelSecret]
    /// Where the audit log streams (`audit_stream:`, docs/audit-stream.md), by name, in name order.
    public let auditSinks: [AuditSink]

    public init(channels: [NotificationChannel], incidentWebhookSecrets: [ChannelSecret] = [], auditSinks: [AuditSink] = []) {
        var seen: [ChannelName: NotificationChannel] = [:]
        for channel in channels { seen[channel.name] = channel }
        self.channels = seen.values.sorted { $0.name < $1.name }
        self.incidentWebhookSecrets = incidentWebhookSecrets
        var sinks: [AuditSinkName: AuditSink] = [:]
        for sink in auditSinks { sinks[sink.name] = sink }
        self.auditSinks = sinks.values.sorted { $0.name < $1.name }
    }

    public var names: [ChannelName] { channels.map(\.name) }

    public subscript(name: ChannelName) -> NotificationChannel? {
        channels.first { $0.name == name }
    }

    /// The channels the file at `path` configures.
    public static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(NotificationConfigurationError) -> NotificationConfiguration {
        let url = URL(fileURLWithPath: path)
        let attributes: [FileAttributeKey: Any]
        let bytes: Data
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
            guard (attributes[.size] as? NSNumber)?.intValue ?? 0 <= maximumFileSize else {
                throw NotificationConfigurationError(.tooLarge, "\(path) is larger than \(maximumFileSize) bytes")
            }
            bytes = try Data(contentsOf: url)
        } catch let error as NotificationConfigurationError {
            throw error
        } catch {
            throw NotificationConfigurationError(.unreadable, "cannot read \(path): \(error.localizedDescription)")
        }
        guard bytes.count <= maximumFileSize else {
            throw NotificationConfigurationError(.tooLarge, "\(path) is larger than \(maximumFileSize) bytes")
        }
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw NotificationConfigurationError(.syntax, "\(path) is not UTF-8 text")
        }
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
        return try parse(text, directory: url.deletingLastPathComponent().path, environment: environment, inlineSecretsAllowed: mode & 0o077 == 0)
    }

    /// The channels `text` configures. `directory` anchors relative `*_file` paths;
    /// `inlineSecretsAllowed` says whether the text is private to its owner.
    public static func parse(
        _ text: String, directory: String, environment: [String: String], inlineSecretsAllowed: Bool
    ) throws(NotificationConfigurationError) -> NotificationConfiguration {
        guard text.utf8.count <= maximumFileSize else {
            throw NotificationConfigurationError(.tooLarge, "the configuration is larger than \(maximumFileSize) bytes")
        }
        let parser: Parser
        let root: Node?
        do {
            // Every scalar is text (`.basic`); each field reads its own type.
            parser = try Parser(yaml: text, resolver: .basic)
            root = try parser.singleRoot()
        } catch {
            throw NotificationConfigurationError(.syntax, syntaxProblem(error))
        }
        // Nodes hold their anchors weakly and the parser strongly: it must outlive the checks that
        // refuse anchors.
        defer { withExtendedLifetime(parser) {} }
        guard let root else { return NotificationConfiguration(channels: []) }
        let top = try ConfigurationFields(root, allowed: ["channels", "incident_webhook", "audit_stream"], channel: nil)
        let reader = SecretReader(directory: directory, environment: environment, inlineAllowed: inlineSecretsAllowed)
        let webhookSecrets = try top.present("incident_webhook").map { node throws(NotificationConfigurationError) in
            try incidentWebhookSecrets(node, reader)
        } ?? []
        let sinks = try top.present("audit_stream").map { node throws(NotificationConfigurationError) in
            try AuditSinkSettings.sinks(node, reader: reader, machineName: ProcessInfo.processInfo.hostName)
        } ?? []
        guard let list = top.present("channels") else {
            return NotificationConfiguration(channels: [], incidentWebhookSecrets: webhookSecrets, auditSinks: sinks)
        }
        guard case .mapping(let mapping) = list, list.anchor == nil, list.tag.isPlain(.map) else {
            throw NotificationConfigurationError(.invalidValue, field: "channels", "must be a mapping of channel names to their settings")
        }
        guard mapping.count <= maximumChannels else {
            throw NotificationConfigurationError(.tooLarge, field: "channels", "at most \(maximumChannels) channels")
        }
        var channels: [NotificationChannel] = []
        var seen: Set<ChannelName> = []
        for (key, settings) in mapping {
            let written = try ConfigurationFields.text(key, channel: nil, field: "channels")
            let name: ChannelName
            do {
                name = try ChannelName(written)
            } catch {
                throw NotificationConfigurationError(.invalidValue, channel: written, error.message)
            }
            guard seen.insert(name).inserted else {
                throw NotificationConfigurationError(.invalidValue, channel: written, "is configured twice")
            }
            channels.append(try channel(name, settings, reader))
        }
        return NotificationConfiguration(channels: channels, incidentWebhookSecrets: webhookSecrets, auditSinks: sinks)
    }

    /// `incident_webhook: {secret…, previous_secret…}`: each as a channel's secret is given.
    private static func incidentWebhookSecrets(_ node: Node, _ reader: SecretReader) throws(NotificationConfigurationError) -> [ChannelSecret] {
        let fields = try ConfigurationFields(node, allowed: SecretReader.keys("secret") + SecretReader.keys("previous_secret"), channel: nil)
        func check(_ text: String) -> String? {
            if let problem = SecretReader.isToken(text) { return problem }
            return text.utf8.count < minimumWebhookSecretLength ? "is shorter than \(minimumWebhookSecretLength) bytes" : nil
        }
        var secrets = [try reader.secret("secret", in: fields, channel: "incident_webhook", check: check)]
        if SecretReader.keys("previous_secret").contains(where: { fields.present($0) != nil }) {
            secrets.append(try reader.secret("previous_secret", in: fields, channel: "incident_webhook", check: check))
        }
        return secrets
    }

    private static func channel(_ name: ChannelName, _ node: Node, _ reader: SecretReader) throws(NotificationConfigurationError) -> NotificationChannel {
        let channel = name.rawValue
        let kinds = NotificationChannel.Kind.allCases.map(\.rawValue)
        let kindNode = try ConfigurationFields(node, allowed: nil, channel: channel).required("kind")
        let kindText = try ConfigurationFields.text(kindNode, channel: channel, field: "kind")
        guard let kind = NotificationChannel.Kind(rawValue: kindText) else {
            throw NotificationConfigurationError(.invalidValue, channel: channel, field: "kind", "must be one of \(kinds.joined(separator: ", "))")
        }
        switch kind {
        case .pagerduty:
            let fields = try ConfigurationFields(node, allowed: ["kind", "events_url"] + SecretReader.keys("routing_key"), channel: channel)
            let routingKey = try reader.secret("routing_key", in: fields, channel: channel, check: SecretReader.isToken)
            var eventsURL = NotificationChannel.pagerDutyEventsURL
            if let given = fields.present("events_url") {
                eventsURL = try endpoint(ConfigurationFields.text(given, channel: channel, field: "events_url"), channel: channel, field: "events_url")
            }
            return NotificationChannel(name: name, destination: .pagerDuty(routingKey: routingKey, eventsURL: eventsURL))
        case .slack:
            let fields = try ConfigurationFields(node, allowed: ["kind"] + SecretReader.keys("webhook_url"), channel: channel)
            let webhookURL = try reader.secret("webhook_url", in: fields, channel: channel) { text in
                switch ChannelEndpoint.parse(text) {
                case .url: nil
                case .refused(let problem): problem
                }
            }
            return NotificationChannel(name: name, destination: .slack(webhookURL: webhookURL))
        case .webhook:
            let fields = try ConfigurationFields(node, allowed: ["kind", "url"] + SecretReader.keys("secret"), channel: channel)
            let url = try endpoint(ConfigurationFields.text(fields.required("url"), channel: channel, field: "url"), channel: channel, field: "url")
            let secret = try reader.secret("secret", in: fields, channel: channel) { text in
                if let problem = SecretReader.isToken(text) { return problem }
                return text.utf8.count < minimumWebhookSecretLength ? "is shorter than \(minimumWebhookSecretLength) bytes" : nil
            }
            return NotificationChannel(name: name, destination: .webhook(url: url, secret: secret))
        }
    }

    /// Where and what, without the line itself: Yams quotes the text around a problem, and that
    /// text may be an inline secret.
    private static func syntaxProblem(_ error: any Error) -> String {
        switch error as? YamlError {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            "YAML syntax at line \(mark.line), column \(mark.column): \(problem)"
        case .duplicatedKeysInMapping(let duplicates, let context):
            "\(duplicates.map { "'\($0.prefix(64))'" }.joined(separator: ", ")) written more than once in one mapping (line \(context.mark.line))"
        default:
            "the file is not YAML this file takes"
        }
    }

    private static func endpoint(_ text: String, channel: String, field: String) throws(NotificationConfigurationError) -> URL {
        switch ChannelEndpoint.parse(text) {
        case .url(let url): return url
        case .refused(let problem): throw NotificationConfigurationError(.invalidValue, channel: channel, field: field, problem)
        }
    }
}

extension Tag {
    /// No tag, or the one the basic resolver gives a node of its kind: nothing written by hand.
    func isPlain(_ kind: Tag.Name) -> Bool {
        rawValue.isEmpty || rawValue == kind.rawValue || rawValue == Tag.Name.nonSpecific.rawValue
    }
}
