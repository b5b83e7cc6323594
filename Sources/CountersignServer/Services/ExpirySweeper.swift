import CountersignCore
import CountersignStore
import Foundation
import Logging
import ServiceLifecycle

/// Moves requests past their deadlines to `expired` (each with its audit event) and drops dead
/// sessions, spent or stale key ceremonies and attempts no throttle window reaches. Actions on an overdue request are refused by the core rules even between sweeps;
/// the sweep makes the stored state and the audit log say so too.
struct ExpirySweeper: Service {
    let store: any GatewayStore
    let clock: any WallClock
    let interval: Duration
    /// The longest window of any attempt limit: older attempts count for nothing.
    let attemptRetention: TimeInterval
    let metrics: GatewayMetrics
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
            let expired = try await store.expireDue(at: now, limit: 500)
            if !expired.isEmpty {
                logger.info("expired requests", metadata: ["count": "\(expired.count)"])
            }
            try await store.deleteExpiredSessions(at: now)
            try await store.deleteStaleChallenges(at: now)
            try await store.deleteAttempts(before: now.addingTimeInterval(-attemptRetention))
        } catch {
            logger.error("expiry sweep failed", metadata: ["error": "\(error)"])
        }
    }
}
