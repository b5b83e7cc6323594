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
    /// The channels `--notifications` configures: a rule naming another one is loaded (break-glass
    /// must work with paging down) but said loudly, since its pages and notices would be given up.
    let configuredChannels: Set<ChannelName>

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
            try await audit(.policyLoaded, loadedDetails(loaded, trigger: "reload"))
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

    /// What the `policy.loaded` event says of `loaded`; an unconfigured channel is also logged as an error.
    func loadedDetails(_ loaded: LoadedPolicy, trigger: String) -> [String: String] {
        var details = [
            "fingerprint": loaded.fingerprint, "rules": String(loaded.policy.rules.count),
            "break_glass_rules": String(loaded.policy.breakGlass.count), "trigger": trigger,
        ]
        let named = loaded.policy.breakGlass.map { ($0.name, $0.channels) } + loaded.policy.rules.map { ($0.name, $0.notify) }
        let unconfigured = named.flatMap { rule, channels in
            channels.filter { !configuredChannels.contains($0) }.map { "\(rule):\($0)" }
        }
        if !unconfigured.isEmpty {
            details["unconfigured_channels"] = String(unconfigured.joined(separator: ", ").prefix(AuditEvent.maximumFieldLength))
            logger.error(
                "rules name channels --notifications does not configure: their pages and notices will be given up (and audited) until it does",
                metadata: ["channels": "\(unconfigured.joined(separator: ", "))"]
            )
        }
        return details
    }

    func audit(_ action: AuditAction, _ details: [String: String]) async throws {
        _ = try await store.appendAudit([AuditEvent(time: clock.now(), actor: AuditEvent.systemActor, action: action, subject: directoryName, details: details)])
    }
}
