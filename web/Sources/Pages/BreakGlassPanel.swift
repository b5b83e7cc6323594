import CountersignAPI
import Foundation

/// What a break-glass grant's page shows beyond a request's: that it was break-glass, loudly; its
/// incident, rule, user and target; when it was granted, until when, and how it ended; its review
/// (the verdict, or when it is due and whether that time has passed); and what the viewer may do
/// about it. The gateway's rules decide who may review or end it; this only words the answers.
public struct BreakGlassPanel: Sendable {
    /// In which capacity someone ended the grant early, as the gateway's rules name it.
    public enum Closer: String, Sendable {
        case user, admin, reviewer
    }

    struct Review: Sendable {
        let verdict: String
        let verdictLabel: String
        let reviewer: String
        let at: TimeView
        let date: Date
        let notes: String?
    }

    let incident: String
    let rule: String
    let user: String
    let target: String
    let granted: TimeView
    let stateLabel: String
    /// When access ends (or ended); nil while it waits on an agreement.
    let until: TimeView?
    let lapses: TimeView?
    /// How it ended, in words; nil while it is open.
    let ending: String?
    /// When it ended, where the gateway still knows: a review recorded later leaves only its own time.
    let endedAt: TimeView?
    let endedDate: Date?
    let keyTouched: Bool
    let channels: String
    let reviewers: String
    let review: Review?
    let reviewDue: TimeView
    let overdue: Bool
    let escalated: TimeView?
    let isOwnGrant: Bool
    /// The viewer may record the review now, with a key: the form whose submit touches it.
    let reviewForm: Bool
    /// The viewer may review, but has no usable key here yet.
    let reviewNeedsKey: Bool
    let endControl: Bool
    let notesMaximumLength: Int
    let verdicts: [VerdictChoice]

    struct VerdictChoice: Sendable {
        let value: String
        let label: String
        let hint: String
    }

    /// - Parameters:
    ///   - mayReview: the gateway's rules say the grant waits on this viewer's review.
    ///   - mayEnd: the viewer may end the grant now (its user, an admin, a reviewer, while open).
    ///   - isOpen: the grant still waits on its agreement or is active, before its deadline.
    ///   - closer: in which capacity the person who ended it early could, when someone did.
    ///   - keysAvailable: the gateway has a public origin, so key ceremonies can be verified.
    ///   - viewerHasKeys: the viewer has at least one usable enrolled key.
    ///   - notesMaximumLength: the gateway's bound on a review's notes.
    public init(
        grant: BreakGlassGrantView, viewer: String, mayReview: Bool, mayEnd: Bool, isOpen: Bool, closer: Closer?,
        keysAvailable: Bool, viewerHasKeys: Bool, notesMaximumLength: Int
    ) {
        let request = grant.request
        incident = grant.incident
        rule = request.requirement.rule
        user = request.requester
        target = "\(request.target.login ?? "?")@\(request.target.host ?? "?")"
        granted = TimeView(request.createdAt)
        stateLabel = Self.stateLabel(request.state, isOpen: isOpen)
        until = request.accessExpiresAt.map(TimeView.init)
        lapses = isOpen && request.state == "pending" ? TimeView(request.pendingExpiresAt) : nil
        ending = isOpen ? nil : Self.ending(grant, closer: closer)
        endedDate = isOpen ? nil : Self.endedAt(grant)
        endedAt = endedDate.map(TimeView.init)
        keyTouched = grant.keyTouched
        channels = grant.channels.joined(separator: ", ")
        reviewers = grant.reviewers.joined(separator: ", ")
        review = grant.review.map { review in
            Review(
                verdict: review.verdict, verdictLabel: Self.verdictLabel(review.verdict),
                reviewer: review.reviewer, at: TimeView(review.at), date: review.at, notes: review.notes.isEmpty ? nil : review.notes
            )
        }
        reviewDue = TimeView(grant.reviewDueAt)
        overdue = grant.review == nil && grant.reviewOverdue
        escalated = grant.review == nil ? grant.reviewEscalatedAt.map(TimeView.init) : nil
        isOwnGrant = request.requester == viewer
        // Never the grant's own user, whatever the caller says: the gateway refuses it anyway.
        let reviews = mayReview && !isOwnGrant && grant.review == nil
        reviewForm = reviews && keysAvailable && viewerHasKeys
        reviewNeedsKey = reviews && !reviewForm
        endControl = mayEnd && isOpen
        self.notesMaximumLength = notesMaximumLength
        verdicts = [
            VerdictChoice(value: "justified", label: "Justified", hint: "the use fitted the incident"),
            VerdictChoice(value: "unjustified", label: "Unjustified", hint: "say in the notes what was wrong; the grant's channels are told"),
        ]
    }

    static func stateLabel(_ state: String, isOpen: Bool) -> String {
        switch (state, isOpen) {
        case ("pending", true): "Awaiting a second person's agreement"
        case ("approved", true): "Active"
        case ("denied", _): "Agreement refused"
        default: "Ended"
        }
    }

    static func verdictLabel(_ verdict: String) -> String {
        switch verdict {
        case "justified": "Justified"
        case "unjustified": "UNJUSTIFIED"
        default: verdict
        }
    }

    /// How a grant that is no longer open ended: by whom (and in which capacity) with their reason,
    /// by its incident's resolution, at its expiry, or without ever being agreed to.
    static func ending(_ grant: BreakGlassGrantView, closer: Closer?) -> String {
        let request = grant.request
        let why = request.closeReason.map { ": \($0)" } ?? ""
        switch request.state {
        case "revoked", "cancelled":
            guard let by = request.closedBy else { return "Ended by the paging service\(why)" }
            let capacity = switch closer {
            case .user: " (its user)"
            case .admin: " (an admin)"
            case .reviewer: " (one of its reviewers)"
            case nil: ""
            }
            let how = request.state == "cancelled" ? "Called off before anyone agreed, by" : "Ended early by"
            return "\(how) \(by)\(capacity)\(why)"
        case "denied":
            return request.denial.map { "Agreement refused by \($0.by): \($0.reason)" } ?? "Agreement refused"
        default:
            // Expired, or past its deadline before the gateway's sweep marked it so.
            return request.accessExpiresAt == nil ? "Lapsed: nobody agreed in time" : "Ended at its expiry"
        }
    }

    /// When it ended. A grant closed by someone keeps that time as its last change, until a review
    /// recorded after it becomes the last change instead: then the time is no longer known here.
    static func endedAt(_ grant: BreakGlassGrantView) -> Date? {
        let request = grant.request
        switch request.state {
        case "revoked", "cancelled":
            if let review = grant.review, review.at >= request.updatedAt { return nil }
            return request.updatedAt
        case "denied":
            return request.denial?.at
        default:
            return request.accessExpiresAt ?? request.pendingExpiresAt
        }
    }
}
