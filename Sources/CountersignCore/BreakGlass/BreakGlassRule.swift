/// One break-glass rule of policy-as-code: on which hosts and logins an on-call engineer may get
/// in at once during an incident, for how long at most, what proves the incident, and what the
/// use costs (a second person's agreement, a touch of the user's own key, the channels paged).
/// Every such session is recorded with its input; that is not a term a rule can turn off.
public struct BreakGlassRule: Hashable, Sendable {
    /// When the user must touch an enrolled key of their own to break glass.
    public enum KeyTouch: String, Hashable, Sendable, CaseIterable {
        /// Whenever they have a usable key (the default): a stolen password alone does not break glass.
        case whenEnrolled = "when_enrolled"
        /// Always: a user without a key cannot break glass under this rule.
        case always
        /// Never: for rules whose users cannot carry keys; the page still goes out.
        case never
    }

    /// Break-glass is short: a longer need is an ordinary request.
    public static let longestDurationSeconds = 4 * 3600
    public static let defaultDurationSeconds = 30 * 60
    public static let defaultReviewWindowSeconds = 24 * 3600

    public let name: String
    /// `host` and `login` globs; both must match.
    public let host: Glob
    public let login: Glob
    /// The on-call groups whose members may break glass here.
    public let onCall: Set<String>
    public let maximumDurationSeconds: Int
    /// What the incident reference must look like (`^INC-[0-9]+$`).
    public let incidentPattern: TicketPattern
    /// Someone else who must agree before the grant is active, for the most sensitive targets.
    public let agreement: ApprovalClause?
    public let keyTouch: KeyTouch
    /// Where the grant is paged; at least one.
    public let channels: [ChannelName]
    /// Within how long after the grant someone other than its user must review it, and who may.
    public let reviewWindowSeconds: Int
    public let reviewers: Set<String>
    public let source: SourceLocation?

    public init(
        name: String, host: Glob, login: Glob, onCall: Set<String>, maximumDurationSeconds: Int = defaultDurationSeconds,
        incidentPattern: TicketPattern, agreement: ApprovalClause? = nil, keyTouch: KeyTouch = .whenEnrolled, channels: [ChannelName],
        reviewWindowSeconds: Int = defaultReviewWindowSeconds, reviewers: Set<String> = BreakGlassReviewRules.defaultReviewers,
        source: SourceLocation? = nil
    ) throws(DomainError) {
        try FieldRules.checkName(name, field: "rule name")
        let host = try PolicyRule.canonicalPattern(host, for: "host")
        for (attribute, glob) in [("host", host), ("login", login)] {
            if let reason = PolicyRule.whyNeverMatches(glob, attribute: attribute) {
                throw DomainError(.invalidField, "break-glass rule \(name): \(attribute) '\(glob.pattern)' \(reason)")
            }
        }
        guard !onCall.isEmpty, !onCall.contains(WellKnownGroup.everyone) else {
            throw DomainError(.invalidField, "break-glass rule \(name): on_call must name the groups that may break glass, not '*'")
        }
        guard (60...Self.longestDurationSeconds).contains(maximumDurationSeconds) else {
            throw DomainError(.invalidField, "break-glass rule \(name): max_duration must be between 1 minute and 4 hours")
        }
        guard !channels.isEmpty, Set(channels).count == channels.count else {
            throw DomainError(.invalidField, "break-glass rule \(name): page must name at least one channel, each once")
        }
        guard (3600...30 * 24 * 3600).contains(reviewWindowSeconds) else {
            throw DomainError(.invalidField, "break-glass rule \(name): review_within must be between 1 hour and 30 days")
        }
        self.name = name
        self.host = host
        self.login = login
        self.onCall = onCall
        self.maximumDurationSeconds = maximumDurationSeconds
        self.incidentPattern = incidentPattern
        self.agreement = agreement
        self.keyTouch = keyTouch
        self.channels = channels
        guard !reviewers.isEmpty, !reviewers.contains(WellKnownGroup.everyone) else {
            throw DomainError(.invalidField, "break-glass rule \(name): reviewers must name the groups that review its grants, not '*'")
        }
        self.reviewWindowSeconds = reviewWindowSeconds
        self.reviewers = reviewers
        self.source = source
    }

    public func covers(host: String, login: String) -> Bool {
        self.host.matches(host) && self.login.matches(login)
    }

    var located: String { source.map { "break-glass rule \(name) (\($0))" } ?? "break-glass rule \(name)" }
}
