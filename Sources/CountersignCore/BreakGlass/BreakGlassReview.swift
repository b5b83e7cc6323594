import Foundation

/// The review every break-glass grant needs after the fact: someone other than its user watched
/// the recording and says whether the use was justified, with notes, by touching their key (the
/// evidence re-verifiable as an approval's is).
public struct BreakGlassReview: Hashable, Sendable {
    public enum Verdict: String, Hashable, Sendable, CaseIterable {
        case justified, unjustified
    }

    public static let maximumNotesLength = 4096

    public let reviewer: Username
    public let groups: Set<String>
    public let verdict: Verdict
    public let notes: String
    public let at: Date
    public let evidence: HardwareKeyEvidence

    public init(reviewer: Username, groups: Set<String>, verdict: Verdict, notes: String, at: Date, evidence: HardwareKeyEvidence) throws(DomainError) {
        try FieldRules.checkText(notes, field: "notes", maximumLength: Self.maximumNotesLength)
        // A verdict is read by auditors months later: "unjustified" with no word of why is no review.
        if verdict == .unjustified, FieldRules.readableLength(notes) == 0 {
            throw DomainError(.invalidField, "notes are required for an unjustified verdict: say what was wrong")
        }
        self.reviewer = reviewer
        self.groups = groups
        self.verdict = verdict
        self.notes = notes
        self.at = at
        self.evidence = evidence
    }
}

/// Who may review a grant, by when, and what an overdue one pages.
public enum BreakGlassReviewRules {
    /// The groups whose members review break-glass when the policy names none.
    public static let defaultReviewers: Set<String> = [WellKnownGroup.auditors]

    /// Someone in `reviewers`, never the grant's own user, whatever groups they are in.
    public static func mayReview(grantOf user: Username, actor: Actor, reviewers: Set<String>) throws(DomainError) {
        guard actor.name != user else {
            throw DomainError(.selfApproval, "a break-glass grant is reviewed by someone other than the one who used it")
        }
        guard !reviewers.isDisjoint(with: actor.groups) else {
            throw DomainError(.notEligible, "only members of \(reviewers.sorted().joined(separator: ", ")) review break-glass")
        }
    }

    public static func reviewDue(grantedAt: Date, under rule: BreakGlassRule) -> Date {
        grantedAt.addingTimeInterval(TimeInterval(rule.reviewWindowSeconds))
    }

    public static func isOverdue(grantedAt: Date, reviewed: Bool, under rule: BreakGlassRule, at now: Date) -> Bool {
        !reviewed && now >= reviewDue(grantedAt: grantedAt, under: rule)
    }

    /// The escalation of an unreviewed grant past its window, on its rule's channels: one
    /// incident per grant at the receiver, whatever the number of sweeps that find it overdue.
    public static func escalation(for facts: BreakGlassRules.GrantFacts, under rule: BreakGlassRule, due: Date, source: String, at now: Date) -> [OutboxMessage] {
        var details = facts.details
        details["review_due"] = ISO8601DateFormatter().string(from: due)
        let notice: Notice
        do {
            notice = try Notice(
                action: .trigger, dedupKey: "\(facts.grant.rawValue):review-overdue",
                summary: String("Break-glass not reviewed in time: \(facts.user) on \(facts.ask.login)@\(facts.ask.host) (\(facts.ask.incident))".prefix(Notice.maximumSummaryLength)),
                severity: .error, source: source, component: facts.ask.host, group: facts.ask.login, eventClass: "break-glass-review",
                link: facts.link, details: details, time: now
            )
        } catch {
            return []
        }
        return rule.channels.map { OutboxMessage(id: .random(), channel: $0, notice: notice, createdAt: now) }
    }
}
