import CountersignCore
import CountersignStore
import Prometheus

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

    public init() {
        loginsSucceeded = registry.makeCounter(name: "countersign_logins_total", labels: [("outcome", "succeeded")], help: "Login attempts by outcome.")
        loginsFailed = registry.makeCounter(name: "countersign_logins_total", labels: [("outcome", "failed")], help: "Login attempts by outcome.")
        loginsThrottled = registry.makeCounter(name: "countersign_logins_total", labels: [("outcome", "throttled")], help: "Login attempts by outcome.")
        auditAppends = registry.makeCounter(name: "countersign_audit_appends_total", help: "Events appended to the audit log.")
        policyReloadsSucceeded = registry.makeCounter(name: "countersign_policy_reloads_total", labels: [("result", "succeeded")], help: "Policy loads and reloads by result.")
        policyReloadsFailed = registry.makeCounter(name: "countersign_policy_reloads_total", labels: [("result", "failed")], help: "Policy loads and reloads by result.")
        checkpoints = registry.makeCounter(name: "countersign_audit_checkpoints_total", help: "Signed audit checkpoints written.")
    }

    func loginSucceeded() { loginsSucceeded.increment() }
    func loginFailed() { loginsFailed.increment() }
    func loginThrottled() { loginsThrottled.increment() }
    func auditAppended(_ count: Int = 1) { auditAppends.increment(by: Int64(count)) }
    func policyReloaded(succeeded: Bool) { (succeeded ? policyReloadsSucceeded : policyReloadsFailed).increment() }
    func checkpointWritten() { checkpoints.increment() }

    /// The text exposition, with request gauges read fresh from the store so they can never drift
    /// from what is stored (a restart or a second writer would skew in-memory counts).
    func exposition(requestCounts: [RequestCount]) -> [UInt8] {
        let counted = Dictionary(requestCounts.map { ("\($0.kind.rawValue)/\($0.state.rawValue)", $0.count) }, uniquingKeysWith: +)
        for kind in RequestKind.allCases {
            for state in RequestState.allCases {
                registry.makeGauge(name: "countersign_requests", labels: [("kind", kind.rawValue), ("state", state.rawValue)], help: "Requests by kind and state.")
                    .set(Double(counted["\(kind.rawValue)/\(state.rawValue)"] ?? 0))
            }
        }
        return registry.emitToBuffer()
    }
}
