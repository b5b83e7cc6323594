/// What a break-glass grant was made under, fixed on it when granted (as a request keeps its
/// requirement): where it is paged, who reviews it and by when, and whether its user proved
/// themselves with their own key. A policy edited during the incident changes none of it.
public struct BreakGlassTerms: Hashable, Sendable {
    public let channels: [ChannelName]
    public let reviewers: Set<String>
    public let reviewWindowSeconds: Int
    public let keyTouched: Bool

    public init(channels: [ChannelName], reviewers: Set<String>, reviewWindowSeconds: Int, keyTouched: Bool) throws(DomainError) {
        guard !channels.isEmpty, !reviewers.isEmpty, (3600...30 * 24 * 3600).contains(reviewWindowSeconds) else {
            throw DomainError(.invalidField, "a grant is paged somewhere, reviewed by someone, within 1 hour to 30 days")
        }
        self.channels = channels
        self.reviewers = reviewers
        self.reviewWindowSeconds = reviewWindowSeconds
        self.keyTouched = keyTouched
    }

    init(rule: BreakGlassRule, keyTouched: Bool) {
        channels = rule.channels
        reviewers = rule.reviewers
        reviewWindowSeconds = rule.reviewWindowSeconds
        self.keyTouched = keyTouched
    }
}
