import CountersignCore
import CountersignStore
import Prometheus
import Synchronization

/// The gateway's Prometheus metrics. Kept on a registry of its own rather than the process-wide
/// MetricsSystem so that several gateways (tests) can live in one process.
public final class GatewayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let loginsSucceeded: Counter
    private let loginsFailed: Counter
    private let loginsThrottled: Counter
    private let auditAppends: Counter
    private let policyReloadsSucceeded: Counter
    private let policyReloadsFailed: Counter
    private let checkpoints: Counter
    private let integrityViolations: Counter
    private let exportedAuditEvents = Mutex(0)
    private let outboxChannels = Mutex<Set<ChannelName>>([])

    private static var logins: MetricNameDescriptor { MetricNameDescriptor(namespace: "countersign", metricName: "logins", unitName: "total", helpText: "Login attempts by outcome.") }
    private static var reloads: MetricNameDescriptor { MetricNameDescriptor(namespace: "countersign", metricName: "policy_reloads", unitName: "total", helpText: "Policy loads and reloads by result.") }
    private static var requests: MetricNameDescriptor { MetricNameDescriptor(namespace: "countersign", metricName: "requests", unitName: "", helpText: "Requests by kind and state.") }
    private static var outbox: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "countersign", metricName: "outbox_messages", unitName: "", helpText: "Notifications waiting to be delivered (pending) and given up (dead), per channel.")
    }
    private static var refusedWebhooks: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "countersign", metricName: "incident_webhooks_refused", unitName: "total", helpText: "Incident webhooks refused: unsigned, forged, stale or malformed.")
    }
    private static var undeliveredPages: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "countersign", metricName: "break_glass_pages_undelivered", unitName: "total",
            helpText: "Break-glass pages not delivered by the time the credential was returned, per channel (the outbox keeps retrying them)."
        )
    }
    private static var recordings: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "countersign", metricName: "recordings", unitName: "", helpText: "Session recordings not known whole: streaming, or in alarm (incomplete, missing).")
    }

    public init() {
        loginsSucceeded = registry.makeCounter(descriptor: Self.logins, labels: [("outcome", "succeeded")])
        loginsFailed = registry.makeCounter(descriptor: Self.logins, labels: [("outcome", "failed")])
        loginsThrottled = registry.makeCounter(descriptor: Self.logins, labels: [("outcome", "throttled")])
        auditAppends = registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "countersign", metricName: "audit_appends", unitName: "total", helpText: "Events appended to the audit log."))
        policyReloadsSucceeded = registry.makeCounter(descriptor: Self.reloads, labels: [("result", "succeeded")])
        policyReloadsFailed = registry.makeCounter(descriptor: Self.reloads, labels: [("result", "failed")])
        checkpoints = registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "countersign", metricName: "audit_checkpoints", unitName: "total", helpText: "Signed audit checkpoints written."))
        integrityViolations = registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "countersign", metricName: "integrity_violations", unitName: "total", helpText: "Reads that found stored content changed outside the gateway."))
    }

    func loginSucceeded() { loginsSucceeded.increment() }
    func loginFailed() { loginsFailed.increment() }
    func loginThrottled() { loginsThrottled.increment() }
    func policyReloaded(succeeded: Bool) { (succeeded ? policyReloadsSucceeded : policyReloadsFailed).increment() }
    func checkpointWritten() { checkpoints.increment() }
    func integrityViolationFound() { integrityViolations.increment() }
    func incidentWebhookRefused(_ code: String) {
        registry.makeCounter(descriptor: Self.refusedWebhooks, labels: [("code", code)]).increment()
    }
    func breakGlassPageUndelivered(on channel: ChannelName) {
        registry.makeCounter(descriptor: Self.undeliveredPages, labels: [("channel", channel.rawValue)]).increment()
    }
    /// The configured channels have outbox gauges from the start, at 0 until something waits or dies.
    func expectOutboxChannels(_ channels: [ChannelName]) { outboxChannels.withLock { $0.formUnion(channels) } }

    /// The text exposition, with request gauges read fresh from the store so they can never drift
    /// from what is stored (a restart or a second writer would skew in-memory counts).
    /// `committedAuditEvents` is the store's own count of the events it committed, so an action
    /// that appends two (an approval that completes its request) counts two, and one that rolled
    /// back counts none.
    /// `recordingStates`: the states of the recordings not known whole, now; the gauge counts
    /// those streaming and those in alarm (incomplete, missing), each state from 0.
    /// `outbox`: the outbox's pending and dead messages per channel; a channel seen once keeps its
    /// gauges (at 0 when it empties), so an alert on dead letters does not go quiet by disappearing.
    func exposition(
        requestCounts: [RequestCount], committedAuditEvents: Int, recordingStates: [RecordingState] = [], outbox: [ChannelName: OutboxTally] = [:]
    ) -> [UInt8] {
        let unexported = exportedAuditEvents.withLock { exported in
            defer { exported = max(exported, committedAuditEvents) }
            return max(0, committedAuditEvents - exported)
        }
        auditAppends.increment(by: Int64(unexported))
        let counted = Dictionary(requestCounts.map { ("\($0.kind.rawValue)/\($0.state.rawValue)", $0.count) }, uniquingKeysWith: +)
        for kind in RequestKind.allCases {
            for state in RequestState.allCases {
                registry.makeGauge(descriptor: Self.requests, labels: [("kind", kind.rawValue), ("state", state.rawValue)])
                    .set(Double(counted["\(kind.rawValue)/\(state.rawValue)"] ?? 0))
            }
        }
        for state in [RecordingState.streaming, .incomplete, .missing] {
            registry.makeGauge(descriptor: Self.recordings, labels: [("state", state.rawValue)])
                .set(Double(recordingStates.filter { $0 == state }.count))
        }
        let channels = outboxChannels.withLock { seen in
            seen.formUnion(outbox.keys)
            return seen
        }
        for channel in channels {
            let tally = outbox[channel] ?? OutboxTally(pending: 0, dead: 0)
            registry.makeGauge(descriptor: Self.outbox, labels: [("channel", channel.rawValue), ("state", "pending")]).set(Double(tally.pending))
            registry.makeGauge(descriptor: Self.outbox, labels: [("channel", channel.rawValue), ("state", "dead")]).set(Double(tally.dead))
        }
        return registry.emitToBuffer()
    }
}
