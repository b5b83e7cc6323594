import CountersignCore
import CountersignStore
import Foundation
import Logging
import ServiceLifecycle

/// Moves requests past their deadlines to `expired` (each with its audit event, and a break-glass
/// grant with the resolve of its pages), pages again the break-glass grants left unreviewed past
/// their window, and drops dead sessions, spent or stale key ceremonies and attempts no throttle
/// window reaches. Actions on an overdue request are refused by the core rules even between
/// sweeps; the sweep makes the stored state and the audit log say so too.
struct ExpirySweeper: Service {
    let store: any GatewayStore
    let clock: any WallClock
    let interval: Duration
    /// The longest window of any attempt limit: older attempts count for nothing.
    let attemptRetention: TimeInterval
    let metrics: GatewayMetrics
    let newsroom: RequestNewsroom
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await sweep()
                try? await Task.sleep(for: interval)
            }
        }
    }

    func sweep() async {
        let now = clock.now()
        do {
            let newsroom = newsroom
            let expired = try await store.expireDue(at: now, limit: 500) { change in
                try BreakGlassRules.expiryNotices(for: change, link: newsroom.link(to: change.request.id), source: newsroom.source, at: now)
            }
            if !expired.isEmpty {
                logger.info("expired requests", metadata: ["count": "\(expired.count)"])
            }
            if expired.contains(where: { $0.kind == .breakGlass }) { newsroom.send() }
            try await escalateOverdueReviews(at: now)
            try await store.deleteExpiredSessions(at: now)
            try await store.deleteStaleChallenges(at: now)
            try await store.deleteAttempts(before: now.addingTimeInterval(-attemptRetention))
        } catch {
            logger.error("expiry sweep failed", metadata: ["error": "\(error)"])
        }
    }

    /// Each grant at most once, whichever gateway's sweep finds it first: the rule refuses a
    /// second escalation inside the store's transaction.
    private func escalateOverdueReviews(at now: Date) async throws {
        let overdue = try await store.breakGlassGrants(try BreakGlassQuery(.escalationDue(at: now), limit: 100))
        let newsroom = newsroom
        var escalated = 0
        for grant in overdue {
            do {
                _ = try await store.update(grant.id, at: now) { current in
                    try BreakGlassReviewRules.escalate(current, link: newsroom.link(to: current.id), source: newsroom.source, at: now)
                }
                escalated += 1
            } catch let error as DomainError where error.code == .invalidState {
                continue
            }
        }
        if escalated > 0 {
            logger.warning("break-glass reviews overdue, paged again", metadata: ["count": "\(escalated)"])
            newsroom.send()
        }
    }
}
