import CountersignCore
import CountersignStore
import Foundation
import Keyring
import Logging
import ServiceLifecycle

/// Signs the audit log's head periodically and once more on shutdown, and logs each checkpoint
/// so copies exist outside the database: whoever holds one can prove later truncation.
struct CheckpointService: Service {
    let store: any GatewayStore
    let signingKey: any SigningKey
    let clock: any WallClock
    let interval: Duration
    let metrics: GatewayMetrics
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if !Task.isCancelled { await checkpoint(spacing: periodicSpacing) }
            }
        }
        await checkpoint()
    }

    /// A tenth below the interval, so that a gateway's own timer, a little late or early, never
    /// skips its turn; other gateways on the same log skip theirs when one has just signed.
    var periodicSpacing: TimeInterval {
        let (seconds, attoseconds) = interval.components
        return (Double(seconds) + Double(attoseconds) / 1e18) * 0.9
    }

    /// Signs the head if `AuditLog.recordCheckpoint` finds it due (`spacing` nil: any unsigned head).
    func checkpoint(spacing: TimeInterval? = nil) async {
        do {
            guard let checkpoint = try await store.recordCheckpoint(signingKey: signingKey, at: clock.now(), spacing: spacing) else { return }
            metrics.checkpointWritten()
            logger.notice("audit checkpoint", metadata: [
                "sequence": "\(checkpoint.sequence)",
                "head_hash": "\(checkpoint.headHash.hexString)",
                "signature": "\(checkpoint.signature.hexString)",
            ])
        } catch {
            logger.error("audit checkpoint failed", metadata: ["error": "\(error)"])
        }
    }
}
