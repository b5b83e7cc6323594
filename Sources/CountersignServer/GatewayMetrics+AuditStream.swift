import CountersignCore
import Notifications
import Prometheus

/// The audit stream's figures, per sink: how many events its receiver has not acknowledged, how
/// many attempts failed, and whether it has been failing past the outage bound (alert on that, or
/// on the lag growing).
extension GatewayMetrics {
    private static var auditStreamLag: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "countersign", metricName: "audit_stream_lag", unitName: "events", helpText: "Audit events a sink has not acknowledged yet.")
    }
    private static var auditStreamFailures: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "countersign", metricName: "audit_stream_failures", unitName: "total", helpText: "Audit stream batches a sink did not acknowledge (each is sent again)."
        )
    }
    private static var auditStreamOutage: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "countersign", metricName: "audit_stream_outage", unitName: "",
            helpText: "1 while a sink has been failing longer than the outage bound (announced once on the notification channels), else 0."
        )
    }

    /// The configured sinks have their figures from the start, at 0 until a pass says otherwise.
    func expectAuditSinks(_ sinks: [AuditSinkName]) {
        for sink in sinks {
            registry.makeGauge(descriptor: Self.auditStreamLag, labels: [("sink", sink.rawValue)]).set(Double(0))
            registry.makeCounter(descriptor: Self.auditStreamFailures, labels: [("sink", sink.rawValue)]).increment(by: Int64(0))
            registry.makeGauge(descriptor: Self.auditStreamOutage, labels: [("sink", sink.rawValue)]).set(Double(0))
        }
    }

    func auditStream(_ observation: AuditStreamer.Observation) {
        switch observation {
        case .lag(let sink, let events):
            registry.makeGauge(descriptor: Self.auditStreamLag, labels: [("sink", sink.rawValue)]).set(Double(events))
        case .failed(let sink):
            registry.makeCounter(descriptor: Self.auditStreamFailures, labels: [("sink", sink.rawValue)]).increment()
        case .outage(let sink, let failing):
            registry.makeGauge(descriptor: Self.auditStreamOutage, labels: [("sink", sink.rawValue)]).set(failing ? Double(1) : Double(0))
        }
    }
}
