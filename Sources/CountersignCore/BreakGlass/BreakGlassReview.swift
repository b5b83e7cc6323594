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
        self.at = at.truncatedToMilliseconds
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

    /// Whether `grant` waits on `actor`'s review: unreviewed, past its agreement (before it there
    /// is no use to review), and `actor` may review it.
    public static func awaitsReview(_ grant: AccessRequest, by actor: Actor) -> Bool {
        guard let terms = grant.breakGlassTerms, grant.breakGlassReview == nil, grant.state != .pending else { return false }
        do {
            try mayReview(grantOf: grant.requester, actor: actor, reviewers: terms.reviewers)
            return true
        } catch {
            return false
        }
    }

    /// The grants among `grants` that wait on `actor`'s review, in the order to take them: by due
    /// time, so the longest overdue comes first and those still in their window follow.
    public static func awaitingReview(_ grants: [AccessRequest], by actor: Actor) -> [AccessRequest] {
        var waiting: [(grant: AccessRequest, due: Date)] = []
        for grant in grants where awaitsReview(grant, by: actor) {
            if let due = reviewDue(of: grant) { waiting.append((grant, due)) }
        }
        waiting.sort { left, right in
            left.due != right.due ? left.due < right.due : left.grant.id.rawValue < right.grant.id.rawValue
        }
        return waiting.map(\.grant)
    }

    public static func reviewDue(of grant: AccessRequest) -> Date? {
        grant.breakGlassTerms.map { grant.createdAt.addingTimeInterval(TimeInterval($0.reviewWindowSeconds)) }
    }

    public static func isOverdue(_ grant: AccessRequest, at now: Date) -> Bool {
        guard grant.breakGlassReview == nil, let due = reviewDue(of: grant) else { return false }
        return now >= due
    }

    /// The unit of work of a review: the grant with its verdict (made once, by an eligible
    /// reviewer whose key signed this very verdict, verified at the edge), its event, and, when the
    /// use was not justified, a word on the grant's channels.
    public static func review(_ grant: AccessRequest, with review: BreakGlassReview, reviewerActor: Actor, link: URL?, source: String) throws(DomainError) -> RequestChange {
        let terms = try BreakGlassRules.requireGrant(grant)
        try mayReview(grantOf: grant.requester, actor: reviewerActor, reviewers: terms.reviewers)
        guard review.reviewer == reviewerActor.name else {
            throw DomainError(.forbidden, "a review is recorded in its reviewer's own name")
        }
        guard grant.breakGlassReview == nil else {
            throw DomainError(.invalidState, "break-glass grant \(grant.id) has already been reviewed")
        }
        guard grant.state != .pending else {
            throw DomainError(.invalidState, "break-glass grant \(grant.id) still waits on its agreement: there is nothing to review yet")
        }
        var next = grant
        next.breakGlassReview = review
        next.updatedAt = review.at.truncatedToMilliseconds
        let event = RequestRules.event(.breakGlassReviewed, next, actor: review.reviewer.rawValue, at: review.at, [
            "verdict": review.verdict.rawValue, "notes": review.notes, "method": ApprovalMethod.hardwareKey.rawValue,
            "credential_id": review.evidence.credentialID.hexString, "statement_digest": statementDigest(of: grant, verdict: review.verdict, notes: review.notes).hexString,
        ])
        var notifications: [OutboxMessage] = []
        if review.verdict == .unjustified {
            var details = BreakGlassRules.details(of: grant, link: link)
            details["reviewer"] = review.reviewer.rawValue
            details["notes"] = String(review.notes.prefix(Notice.maximumDetailLength))
            notifications = try BreakGlassRules.notice(
                .inform, dedupKey: "\(grant.id.rawValue):review", summary: "Break-glass judged UNJUSTIFIED by \(review.reviewer): \(BreakGlassRules.headline(of: grant))",
                severity: .error, grant: grant, details: details, link: link, source: source, eventClass: "break-glass-review", at: review.at
            ).messages(on: terms.channels, at: review.at)
        }
        return RequestChange(request: next, events: [event], notifications: notifications)
    }

    private static func statementDigest(of grant: AccessRequest, verdict: BreakGlassReview.Verdict, notes: String) -> [UInt8] {
        BreakGlassReview.statementDigest(of: grant, verdict: verdict, notes: notes)
    }

    /// The escalation of an unreviewed grant past its window, once per grant, on its channels:
    /// one incident per grant at the receiver (its own dedup key), however many gateways sweep.
    public static func escalate(_ grant: AccessRequest, link: URL?, source: String, at now: Date) throws(DomainError) -> RequestChange {
        let terms = try BreakGlassRules.requireGrant(grant)
        guard isOverdue(grant, at: now), let due = reviewDue(of: grant) else {
            throw DomainError(.invalidState, "break-glass grant \(grant.id) is reviewed or not yet due")
        }
        guard grant.reviewEscalatedAt == nil else {
            throw DomainError(.invalidState, "break-glass grant \(grant.id) was already escalated")
        }
        var next = grant
        next.reviewEscalatedAt = now.truncatedToMilliseconds
        var details = BreakGlassRules.details(of: grant, link: link)
        details["review_due"] = ISO8601DateFormatter().string(from: due)
        details["reviewers"] = terms.reviewers.sorted().joined(separator: ", ")
        let pages = try BreakGlassRules.notice(
            .trigger, dedupKey: "\(grant.id.rawValue):review-overdue",
            summary: "Break-glass not reviewed in time: \(BreakGlassRules.headline(of: grant))",
            severity: .error, grant: grant, details: details, link: link, source: source, eventClass: "break-glass-review", at: now
        ).messages(on: terms.channels, at: now)
        let event = RequestRules.event(.breakGlassReviewOverdue, next, actor: AuditEvent.systemActor, at: now, [
            "review_due": String(due.millisecondsSinceEpoch), "channels": terms.channels.map(\.rawValue).joined(separator: ","),
        ])
        return RequestChange(request: next, events: [event], notifications: pages)
    }
}
