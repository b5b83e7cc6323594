import CountersignCore
import ServiceLifecycle

/// Audits counted login refusals when their window closes, even if no login comes to do it, and
/// every count still open at shutdown: the tally is only ever a delay, never a loss.
struct LoginRefusalAuditService: Service {
    let sessions: SessionAuthority
    let clock: any WallClock
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await sessions.auditClosedRefusals(at: clock.now())
                try? await Task.sleep(for: interval)
            }
        }
        await sessions.auditClosedRefusals(at: clock.now(), everything: true)
    }
}
