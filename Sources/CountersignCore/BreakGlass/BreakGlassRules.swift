import Foundation

/// The rules of breaking glass, stated once: whether an ask is allowed and on which terms, and
/// what it pages. Pure; the edge verifies the key touch and the store commits the grant with its
/// pages in one unit of work.
public enum BreakGlassRules {
    /// The policy's yes to an ask.
    public struct Admission: Hashable, Sendable {
        public let rule: BreakGlassRule
        public let durationSeconds: Int
        public let expiresAt: Date
        /// Who else must agree before the grant is active; nil when it is active at once.
        public let agreement: ApprovalClause?
        /// The user proved themselves with their own key, not only their password.
        public let keyTouched: Bool
    }

    /// Decides `ask` by `actor` under `rules` (the first rule covering the host and login
    /// decides), at `now`. `hasUsableKey`: the user has an enrolled key they could touch;
    /// `keyTouched`: they did, over this ask (verified at the edge).
    public static func admit(
        _ ask: BreakGlassAsk, by actor: Actor, under rules: [BreakGlassRule], hasUsableKey: Bool, keyTouched: Bool, at now: Date
    ) throws(BreakGlassRefusal) -> Admission {
        guard let rule = rules.first(where: { $0.covers(host: ask.host, login: ask.login) }) else {
            throw BreakGlassRefusal(.noRule, "no break-glass rule covers \(ask.login)@\(ask.host)", rule: nil)
        }
        guard !rule.onCall.isDisjoint(with: actor.groups) else {
            throw BreakGlassRefusal(.notOnCall, "\(rule.located): only members of \(rule.onCall.sorted().joined(separator: ", ")) may break glass here", rule: rule)
        }
        guard rule.incidentPattern.matches(ask.incident) else {
            throw BreakGlassRefusal(.incidentMismatch, "\(rule.located): the incident must match \(rule.incidentPattern.pattern)", rule: rule)
        }
        let duration = ask.durationSeconds ?? rule.maximumDurationSeconds
        guard duration <= rule.maximumDurationSeconds else {
            throw BreakGlassRefusal(.tooLong, "\(rule.located): break-glass lasts at most \(Policy.describe(seconds: rule.maximumDurationSeconds))", rule: rule)
        }
        let touchNeeded = switch rule.keyTouch {
        case .always: true
        case .whenEnrolled: hasUsableKey
        case .never: false
        }
        if touchNeeded, !keyTouched {
            let why = rule.keyTouch == .always ? "this rule always takes a touch of your own enrolled key" : "you have an enrolled key: touch it to break glass"
            throw BreakGlassRefusal(.keyTouchRequired, "\(rule.located): \(why)", rule: rule)
        }
        return Admission(
            rule: rule, durationSeconds: duration, expiresAt: now.addingTimeInterval(TimeInterval(duration)), agreement: rule.agreement,
            keyTouched: keyTouched
        )
    }

    /// What a page says about a grant: who, where, which incident, why, until when, and its page.
    public struct GrantFacts: Hashable, Sendable {
        public let grant: RequestID
        public let user: Username
        public let ask: BreakGlassAsk
        public let expiresAt: Date
        public let link: URL?

        public init(grant: RequestID, user: Username, ask: BreakGlassAsk, expiresAt: Date, link: URL?) {
            self.grant = grant
            self.user = user
            self.ask = ask
            self.expiresAt = expiresAt
            self.link = link
        }

        var details: [String: String] {
            [
                "grant": grant.rawValue, "user": user.rawValue, "host": ask.host, "login": ask.login, "incident": ask.incident,
                "reason": String(ask.reason.prefix(Notice.maximumDetailLength)), "expires_at": ISO8601DateFormatter().string(from: expiresAt),
                "link": String((link?.absoluteString ?? "").prefix(Notice.maximumDetailLength)),
            ]
        }
    }

    public static let eventClass = "break-glass"

    /// The grant's trigger on each of its rule's channels, deduplicated by the grant's id, so that
    /// the resolve that ends it closes the same incident.
    public static func pages(for facts: GrantFacts, on rule: BreakGlassRule, source: String, at now: Date) -> [OutboxMessage] {
        let summary = "BREAK-GLASS: \(facts.user) on \(facts.ask.login)@\(facts.ask.host) for \(facts.ask.incident)"
        return messages(.trigger, dedupKey: facts.grant.rawValue, summary: summary, severity: .critical, facts: facts, channels: rule.channels, source: source, at: now)
    }

    /// The resolve of a grant's pages when it ends (by its user, an admin, a reviewer, expiry or
    /// the incident's resolution), saying who ended it.
    public static func resolves(for facts: GrantFacts, on rule: BreakGlassRule, endedBy: String, source: String, at now: Date) -> [OutboxMessage] {
        var details = facts.details
        details["ended_by"] = endedBy
        let summary = "Break-glass ended: \(facts.user) on \(facts.ask.login)@\(facts.ask.host) (\(facts.ask.incident)), by \(endedBy)"
        return messages(.resolve, dedupKey: facts.grant.rawValue, summary: summary, severity: .critical, facts: facts, details: details, channels: rule.channels, source: source, at: now)
    }

    /// A refused attempt under a rule that covers the target, paged on that rule's channels.
    public static func attemptPages(for refusal: BreakGlassRefusal, ask: BreakGlassAsk, by user: Username, source: String, at now: Date) -> [OutboxMessage] {
        guard let rule = refusal.rule else { return [] }
        let notice: Notice
        do {
            notice = try Notice(
                action: .trigger, dedupKey: "break-glass-refused:\(OutboxID.random().rawValue)",
                summary: String("Refused break-glass: \(user) on \(ask.login)@\(ask.host) for \(ask.incident): \(refusal.code.rawValue)".prefix(Notice.maximumSummaryLength)),
                severity: .error, source: source, component: ask.host, group: ask.login, eventClass: "break-glass-refused",
                details: [
                    "user": user.rawValue, "host": ask.host, "login": ask.login, "incident": ask.incident,
                    "reason": String(ask.reason.prefix(Notice.maximumDetailLength)), "refusal": refusal.code.rawValue, "rule": rule.name,
                ],
                time: now
            )
        } catch {
            return []
        }
        return rule.channels.map { OutboxMessage(id: .random(), channel: $0, notice: notice, createdAt: now) }
    }

    private static func messages(
        _ action: Notice.Action, dedupKey: String, summary: String, severity: Notice.Severity, facts: GrantFacts, details: [String: String]? = nil,
        channels: [ChannelName], source: String, at now: Date
    ) -> [OutboxMessage] {
        let notice: Notice
        do {
            notice = try Notice(
                action: action, dedupKey: dedupKey, summary: String(summary.prefix(Notice.maximumSummaryLength)), severity: severity, source: source,
                component: facts.ask.host, group: facts.ask.login, eventClass: eventClass, link: facts.link, details: details ?? facts.details, time: now
            )
        } catch {
            // Every field is bounded above to what a notice takes.
            return []
        }
        return channels.map { OutboxMessage(id: .random(), channel: $0, notice: notice, createdAt: now) }
    }
}
