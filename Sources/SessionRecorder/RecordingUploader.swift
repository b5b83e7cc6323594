import CountersignAPI
import CountersignCore

/// Sends a recording to the gateway as the session goes (contract of issue 13): the start call,
/// then the ledger's chunks in order under consecutive sequence numbers, an empty chunk when
/// nothing happened for a while (so that the gateway knows the recorder lives), and the final one
/// with the exit status.
///
/// The start's answer names the recording the chunks go to (a certificate may open several
/// sessions, each recorded apart), so no chunk is sent before a start is answered: while the
/// gateway cannot be reached the start is retried, the same body (the same session id) each time,
/// and the chunks wait in the ledger and the spool.
///
/// Sequence numbers are the gateway's, not the ledger's: a chunk that is lost (not in memory and
/// not read back intact from the spool) takes none, and the next chunk sent reports its bytes as
/// `lost_bytes`; heartbeats take one each.
///
/// Retries follow the contract: unreachable, 5xx and 429 keep the call and wait (doubling, capped);
/// `chunk_out_of_order` moves to the sequence the gateway names, resending what it no longer has;
/// any other refusal, of the start or of a chunk, stops the uploads (the spool keeps the
/// recording). While the session lives it never gives up; once it has ended, it gives up after
/// `grace` without a stored chunk.
struct RecordingUploader: Sendable {
    struct Policy: Sendable {
        var firstRetry: Duration = .milliseconds(200)
        var retryCap: Duration = .seconds(10)
        /// Well inside the contract's 30 s.
        var heartbeat: Duration = .seconds(20)
        var grace: Duration = .seconds(15)
        /// How often the uploader looks for a new chunk when it has sent them all.
        var idleWait: Duration = .milliseconds(50)
        /// When chunks wait (a flood of output, a gateway back from an outage), consecutive ones
        /// go as one upload of at most this many bytes: one round trip and one durable write at
        /// the gateway instead of one per chunk. 0 sends them one by one.
        var mergeLimit = RecordingChunk.maximumByteCount
    }

    struct Outcome: Sendable, Equatable {
        /// The recording the gateway gave the session; nil until it answered the start.
        var recording: RecordingID?
        /// The final chunk is stored.
        var complete = false
        /// Why not, when it is not.
        var problem: String?
        var nextSequence = 0
    }

    let ledger: ChunkLedger
    let gateway: any RecordingGateway
    let startBody: RecordingStartBody
    let clock: any SessionClock
    let policy: Policy
    /// Told when the start is answered and after each stored chunk, with the outcome so far (the
    /// state file listens).
    let onProgress: @Sendable (Outcome, _ storedChunks: Int) -> Void

    private struct Chunk {
        /// The ledger's chunks it holds, nil for a heartbeat.
        var indices: Range<Int>?
        var bytes: [UInt8]
        var lostBytes: Int
        var exitStatus: Int32?
    }

    func run() async -> Outcome {
        var outcome = Outcome()
        var target: UploadTarget?
        var nextChunk = 0
        var lostBytes = 0
        var delay = policy.firstRetry
        var lastStored = clock.nanoseconds()
        var moves = 0
        var pending: Chunk?
        while true {
            guard let destination = target else {
                switch await gateway.start(startBody) {
                case .started(let answered):
                    target = answered
                    outcome.recording = answered.recordingID
                    delay = policy.firstRetry
                    lastStored = clock.nanoseconds()
                    onProgress(outcome, 0)
                case .retryLater(let reason):
                    guard await waitToRetry(&delay, lastStored: lastStored) else {
                        outcome.problem = reason
                        return outcome
                    }
                case .refused(let reason):
                    // Without the start's answer there is no recording of this session's: the
                    // certificate's may be another session's, and chunks sent there would mix them.
                    outcome.problem = reason
                    return outcome
                }
                continue
            }
            // A call not answered is made again with the very same bytes, however many chunks were
            // cut meanwhile: the gateway may have stored it, and other bytes under its number
            // would be a conflict.
            guard let chunk = pending ?? nextToSend(&nextChunk, &lostBytes, lastStored: lastStored) else {
                try? await Task.sleep(for: policy.idleWait)
                continue
            }
            pending = chunk
            let answer = await gateway.upload(
                to: destination, sequence: outcome.nextSequence, chunk.bytes, lostBytes: chunk.lostBytes, exitStatus: chunk.exitStatus
            )
            switch answer {
            case .stored:
                pending = nil
                delay = policy.firstRetry
                lastStored = clock.nanoseconds()
                moves = 0
                if let indices = chunk.indices {
                    for index in indices { ledger.stored(index, as: outcome.nextSequence) }
                    nextChunk = indices.upperBound
                }
                lostBytes = 0
                outcome.nextSequence += 1
                outcome.complete = chunk.exitStatus != nil
                onProgress(outcome, nextChunk)
                if outcome.complete { return outcome }
            case .outOfOrder(let expected):
                pending = nil
                moves += 1
                guard moves <= 8 else {
                    outcome.problem = "the gateway keeps asking for other chunks (last: \(expected)); uploads stopped"
                    return outcome
                }
                if expected < outcome.nextSequence, let first = ledger.firstChunk(storedAtOrAfter: expected) {
                    // The gateway no longer has what it stored from `expected` on (restored from a
                    // backup): send those chunks again, read back from the spool if need be.
                    ledger.forget(storedFrom: expected)
                    nextChunk = first
                    lostBytes = 0
                }
                outcome.nextSequence = expected
            case .retryLater(let reason):
                guard await waitToRetry(&delay, lastStored: lastStored) else {
                    outcome.problem = reason
                    return outcome
                }
            case .refused(let reason):
                outcome.problem = reason
                return outcome
            }
        }
    }

    /// After a call that did not reach the gateway: false to give up (the session has ended and
    /// nothing was stored for `grace`), else true once the backoff is waited out, doubled for next time.
    private func waitToRetry(_ delay: inout Duration, lastStored: UInt64) async -> Bool {
        if let finish = ledger.finish, clock.nanoseconds() &- max(lastStored, finish.at) > UInt64(policy.grace.nanoseconds) {
            return false
        }
        await pause(delay * Double.random(in: 0.8...1.2))
        delay = min(delay * 2, policy.retryCap)
        return true
    }

    /// Waits out a backoff, in short steps: the session's end cuts it short, so that the final
    /// chunk is tried at once rather than after what may be seconds of waiting for an outage
    /// that is over, and an unreachable gateway costs the user no more than the grace period.
    private func pause(_ duration: Duration) async {
        let sessionEnded = ledger.finish != nil
        let deadline = clock.nanoseconds() &+ UInt64(max(duration.nanoseconds, 0))
        while clock.nanoseconds() < deadline {
            if !sessionEnded, ledger.finish != nil { return }
            try? await Task.sleep(for: min(policy.idleWait, duration))
        }
    }

    /// The next upload: the ledger's next chunk, with those cut after it while they fit in
    /// `mergeLimit`, skipping (and counting) lost ones; a heartbeat when all are sent and the last
    /// upload is `heartbeat` old; nil when there is nothing to do yet.
    private func nextToSend(_ nextChunk: inout Int, _ lostBytes: inout Int, lastStored: UInt64) -> Chunk? {
        while let (content, isFinal) = ledger.content(of: nextChunk) {
            let exitStatus = isFinal ? ledger.finish?.exitStatus : nil
            switch content {
            case .bytes(let bytes):
                return merged(Chunk(indices: nextChunk..<nextChunk + 1, bytes: bytes, lostBytes: lostBytes, exitStatus: exitStatus))
            case .lost(let length):
                lostBytes += length
                if isFinal { return Chunk(indices: nextChunk..<nextChunk + 1, bytes: [], lostBytes: lostBytes, exitStatus: exitStatus) }
                nextChunk += 1
            }
        }
        if clock.nanoseconds() &- lastStored >= UInt64(policy.heartbeat.nanoseconds) {
            return Chunk(indices: nil, bytes: [], lostBytes: 0, exitStatus: nil)
        }
        return nil
    }

    /// `chunk` with the chunks cut after it appended, in order, while the whole stays within
    /// `mergeLimit`; up to a lost one (its size goes with the upload after) or the final one.
    private func merged(_ chunk: Chunk) -> Chunk {
        var merged = chunk
        guard var next = chunk.indices?.upperBound else { return chunk }
        while merged.exitStatus == nil, let (content, isFinal) = ledger.content(of: next),
              case .bytes(let bytes) = content, merged.bytes.count + bytes.count <= policy.mergeLimit {
            merged.bytes += bytes
            next += 1
            merged.indices = chunk.indices.map { $0.lowerBound..<next }
            if isFinal { merged.exitStatus = ledger.finish?.exitStatus }
        }
        return merged
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
