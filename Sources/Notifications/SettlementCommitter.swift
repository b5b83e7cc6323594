import CountersignStore
import Synchronization

/// Records delivery attempts with a group commit: the first attempt to end is committed at once,
/// and those that end while a commit is syncing go together in the next. One page alone is
/// recorded as soon as it is answered; a flood costs one durable write per batch, not per
/// delivery.
final class SettlementCommitter: Sendable {
    private struct Waiting {
        let attempt: SettledAttempt
        let answer: CheckedContinuation<Result<Bool, any Error>, Never>
    }

    private struct State {
        var waiting: [Waiting] = []
        var committing = false
    }

    /// Attempts a commit takes at most: a batch is one transaction, kept short.
    static let batchLimit = 256

    private let store: any OutboxStore
    private let state = Mutex(State())

    init(store: any OutboxStore) {
        self.store = store
    }

    /// Whether the attempt was recorded (its claim still held), or why the store failed.
    func record(_ attempt: SettledAttempt) async -> Result<Bool, any Error> {
        await withCheckedContinuation { answer in
            let startsCommitting = state.withLock { state in
                state.waiting.append(Waiting(attempt: attempt, answer: answer))
                guard !state.committing else { return false }
                state.committing = true
                return true
            }
            if startsCommitting {
                Task { await self.commitWhileWaiting() }
            }
        }
    }

    private func commitWhileWaiting() async {
        while true {
            let batch = state.withLock { state -> [Waiting] in
                let batch = Array(state.waiting.prefix(Self.batchLimit))
                state.waiting.removeFirst(batch.count)
                if batch.isEmpty { state.committing = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                let recorded = try await store.settle(batch.map(\.attempt))
                for (waiting, done) in zip(batch, recorded + Array(repeating: false, count: max(0, batch.count - recorded.count))) {
                    waiting.answer.resume(returning: .success(done))
                }
            } catch {
                for waiting in batch { waiting.answer.resume(returning: .failure(error)) }
            }
        }
    }
}
