import CountersignCore
import CountersignPolicyFiles
import CountersignStore
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the policy directory on SIGHUP. A broken new policy keeps the old one in force, and
/// both outcomes are logged, counted and audited.
struct PolicyReloadService: Service {
    let reloader: PolicyReloader

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            await reloader.reload()
        }
    }
}

struct PolicyReloader: Sendable {
    let policies: PolicyHolder
    let store: any GatewayStore
    let clock: any WallClock
    let metrics: GatewayMetrics
    let logger: Logger
    let directoryName: String

    /// Loads the directory; the new policy takes effect only once its load is audited (fail
    /// closed: an unaudited policy change must not happen).
    @discardableResult
    func reload() async -> Bool {
        let loaded: LoadedPolicy
        do {
            loaded = try policies.loadAgain()
        } catch {
            metrics.policyReloaded(succeeded: false)
            logger.error("policy reload failed; the previous policy stays in force", metadata: ["diagnostics": "\(error)"])
            try? await audit(.policyReloadFailed, [
                "kept_fingerprint": policies.current.fingerprint,
                "diagnostics": error.diagnostics.prefix(20).map(\.description).joined(separator: "\n"),
            ])
            return false
        }
        do {
            try await audit(.policyLoaded, ["fingerprint": loaded.fingerprint, "rules": String(loaded.policy.rules.count), "trigger": "reload"])
        } catch {
            metrics.policyReloaded(succeeded: false)
            logger.error("policy reload not audited; the previous policy stays in force", metadata: ["error": "\(error)"])
            return false
        }
        policies.install(loaded)
        metrics.policyReloaded(succeeded: true)
        logger.notice("policy reloaded", metadata: ["fingerprint": "\(loaded.fingerprint)", "rules": "\(loaded.policy.rules.count)"])
        return true
    }

    func audit(_ action: AuditAction, _ details: [String: String]) async throws {
        _ = try await store.appendAudit([AuditEvent(time: clock.now(), actor: AuditEvent.systemActor, action: action, subject: directoryName, details: details)])
    }
}
