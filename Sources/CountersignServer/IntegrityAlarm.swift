import CountersignCore
import CountersignStore
import Logging
import Synchronization

/// Stored content found changed behind the gateway's back is tampering, not an outage: it is
/// logged as critical, counted (`countersign_integrity_violations_total`) and audited, once per
/// record and process, so that a page refreshed in a loop does not grow the audit log. The
/// caller still gets the named error every time.
final class IntegrityAlarm: Sendable {
    let store: any GatewayStore
    let clock: any WallClock
    let metrics: GatewayMetrics
    let logger: Logger
    private let reported = Mutex<Set<String>>([])

    /// Records remembered as reported; past it the set starts again (a repeat audit row is fine).
    static let capacity = 10_000

    init(store: any GatewayStore, clock: any WallClock, metrics: GatewayMetrics, logger: Logger) {
        self.store = store
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
    }

    /// Raises the alarm if `error` is an integrity violation; does nothing otherwise.
    func raise(for error: any Error) async {
        guard let error = error as? StoreError, error.code == .integrityViolation else { return }
        let subject = error.subject ?? "unknown"
        metrics.integrityViolationFound()
        let isNew = reported.withLock { reported in
            if reported.count >= Self.capacity { reported.removeAll() }
            return reported.insert(subject).inserted
        }
        guard isNew else { return }
        logger.critical("stored content was changed outside the gateway", metadata: ["subject": "\(subject)", "error": "\(error.message)"])
        do {
            _ = try await store.appendAudit([AuditEvent(
                time: clock.now(), actor: AuditEvent.systemActor, action: .integrityViolation, subject: subject,
                details: ["message": error.message]
            )])
        } catch {
            logger.critical("the integrity violation could not be audited", metadata: ["subject": "\(subject)", "error": "\(error)"])
            _ = reported.withLock { $0.remove(subject) }
        }
    }
}
