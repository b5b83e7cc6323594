import Foundation

/// What one notification says, in the terms every channel renders: PagerDuty's Events API v2
/// takes them nearly as they are (`event_action`, `dedup_key`, `payload`), Slack shows the summary,
/// the link and the details, a webhook receives them as JSON. Made by the core's rules (a
/// break-glass grant pages, a new request tells its reviewers) and kept in the outbox as is, so a
/// retry days later sends the same words.
public struct Notice: Hashable, Sendable {
    /// A page opens an incident at the receiver, or resolves the one with the same dedup key;
    /// anything else is for reading.
    public enum Action: String, Hashable, Sendable, CaseIterable {
        case trigger, resolve, inform
    }

    /// PagerDuty's four severities, which the other channels show as words.
    public enum Severity: String, Hashable, Sendable, CaseIterable {
        case critical, error, warning, info
    }

    public static let maximumSummaryLength = 1024
    public static let maximumDetails = 32
    public static let maximumDetailLength = 1024
    public static let maximumDedupKeyLength = 255

    public let action: Action
    /// What the receiver's incident or message is about: one deduplication key per thing
    /// (a grant id), so a trigger sent twice opens one incident and the resolve closes it.
    public let dedupKey: String
    public let summary: String
    public let severity: Severity
    /// Where it happened (the gateway's public URL), and what part of the platform.
    public let source: String
    public let component: String?
    public let group: String?
    /// The kind of thing (`break-glass`, `request`, `recording`), PagerDuty's `class`.
    public let eventClass: String
    /// The page of the thing at the gateway.
    public let link: URL?
    public let details: [String: String]
    public let time: Date

    public init(
        action: Action, dedupKey: String, summary: String, severity: Severity, source: String, component: String? = nil,
        group: String? = nil, eventClass: String, link: URL? = nil, details: [String: String] = [:], time: Date
    ) throws(DomainError) {
        guard !dedupKey.isEmpty, dedupKey.utf8.count <= Self.maximumDedupKeyLength else {
            throw DomainError(.invalidField, "a dedup key is 1 to \(Self.maximumDedupKeyLength) bytes")
        }
        guard !summary.isEmpty, summary.utf8.count <= Self.maximumSummaryLength else {
            throw DomainError(.invalidField, "a summary is 1 to \(Self.maximumSummaryLength) bytes")
        }
        guard details.count <= Self.maximumDetails,
              details.allSatisfy({ $0.key.utf8.count <= 64 && $0.value.utf8.count <= Self.maximumDetailLength })
        else {
            throw DomainError(.invalidField, "at most \(Self.maximumDetails) details, names of 64 bytes and values of \(Self.maximumDetailLength)")
        }
        self.action = action
        self.dedupKey = dedupKey
        self.summary = summary
        self.severity = severity
        self.source = source
        self.component = component
        self.group = group
        self.eventClass = eventClass
        self.link = link
        self.details = details
        self.time = time
    }
}

extension Notice {
    /// This notice as one outbox message per channel, each delivered on its own.
    public func messages(on channels: [ChannelName], at now: Date) -> [OutboxMessage] {
        channels.map { OutboxMessage(id: .random(), channel: $0, notice: self, createdAt: now) }
    }
}
