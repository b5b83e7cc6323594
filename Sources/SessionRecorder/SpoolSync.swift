import Foundation
import Synchronization

/// fsyncs the spool once a second on a thread of its own, so that what the session printed is on
/// the disk within a second, and the session's own thread never waits for the disk: an fsync
/// behind a burst of output can take a good part of a second.
final class SpoolSync: Sendable {
    static let interval = 1.0

    private let spool: SpoolFile
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let stopping = Atomic<Bool>(false)
    /// Called once, from the syncing thread, when an fsync fails.
    private let onFailure: @Sendable () -> Void

    init(spool: SpoolFile, onFailure: @escaping @Sendable () -> Void) {
        self.spool = spool
        self.onFailure = onFailure
    }

    func start() {
        Thread.detachNewThread { [self] in
            var reported = false
            while !stopping.load(ordering: .relaxed) {
                _ = wake.wait(timeout: .now() + Self.interval)
                if !spool.sync(), !reported {
                    reported = true
                    onFailure()
                }
            }
            finished.signal()
        }
    }

    /// Stops the thread and waits for its last fsync; the caller then syncs once more itself.
    func stop() {
        stopping.store(true, ordering: .relaxed)
        wake.signal()
        finished.wait()
    }
}
