import CountersignCore
import CountersignStore
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
                if !Task.isCancelled { await checkpoint() }
            }
        }
        await checkpoint()
    }

    func checkpoint() async {
        do {
            guard let checkpoint = try await store.recordCheckpoint(signingKey: signingKey, at: clock.now()) else { return }
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
