import CountersignAPI
import CountersignCore
import Foundation

extension BreakGlassGrantView {
    init(_ grant: AccessRequest, caller: Actor, at now: Date) throws {
        guard let terms = grant.breakGlassTerms, let due = BreakGlassReviewRules.reviewDue(of: grant) else {
            throw GatewayError.notFound("break-glass grant \(grant.id)")
        }
        self.init(
            request: RequestView(grant, caller: caller), incident: grant.ticket, channels: terms.channels.map(\.rawValue),
            keyTouched: terms.keyTouched, reviewers: terms.reviewers.sorted(), reviewDueAt: due,
            reviewOverdue: BreakGlassReviewRules.isOverdue(grant, at: now), reviewEscalatedAt: grant.reviewEscalatedAt,
            review: grant.breakGlassReview.map {
                BreakGlassReviewView(reviewer: $0.reviewer.rawValue, verdict: $0.verdict.rawValue, notes: $0.notes, at: $0.at)
            }
        )
    }
}
