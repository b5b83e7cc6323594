import Crypto
import Synchronization

/// The chunks of one recording, handed from the session's thread, which cuts them, to the
/// uploader, which sends them: where each lies in the spool, its length and SHA-256, and its bytes
/// while they are held in memory.
///
/// Memory is bounded: past `memoryLimit` bytes of unsent chunks, the oldest ones give up their
/// bytes (keeping their digest) and are read back from the spool when their turn comes. A chunk
/// read back is sent only if it is the very bytes that were written; a spool edited or truncated
/// meanwhile makes it lost, which the upload reports as a gap (`lost_bytes`) rather than send
/// other bytes. A chunk that never reached the spool (it failed mid-session) is lost the moment
/// it leaves memory.
final class ChunkLedger: Sendable {
    struct Chunk: Sendable {
        let offset: Int64
        let length: Int
        let spooled: Bool
        /// The session's last chunk: sent with `final=true` and the exit status.
        let isFinal: Bool
        var bytes: [UInt8]?
        var digest: SHA256Digest?
        var lost = false
        /// The sequence number the gateway stored it under.
        var storedAs: Int?
    }

    /// What the uploader has to send for a chunk.
    enum Content: Sendable, Equatable {
        case bytes([UInt8])
        /// Not the bytes that were written, or gone: `length` bytes of the recording are lost.
        case lost(length: Int)
    }

    private struct State {
        var chunks: [Chunk] = []
        var heldBytes = 0
        /// Chunks below this one hold no bytes (but the header's): where eviction looks first.
        var oldestHeld = 1
        var exitStatus: Int32?
        var finishedAt: UInt64?
    }

    let memoryLimit: Int
    private let spool: SpoolFile
    private let state = Mutex(State())

    init(spool: SpoolFile, memoryLimit: Int) {
        self.spool = spool
        self.memoryLimit = memoryLimit
    }

    var count: Int { state.withLock { $0.chunks.count } }

    /// The exit status and the time (of the session's clock) the final chunk was cut, once it has been.
    var finish: (exitStatus: Int32, at: UInt64)? {
        state.withLock { state in state.exitStatus.flatMap { status in state.finishedAt.map { (status, $0) } } }
    }

    /// Bytes of the recording cut and not stored by the gateway: what an upload that stops now leaves only in the spool.
    var unstoredBytes: Int {
        state.withLock { $0.chunks.reduce(0) { $0 + ($1.storedAs == nil ? $1.length : 0) } }
    }

    /// How many chunks, from the first, the gateway has stored.
    var storedChunks: Int {
        state.withLock { $0.chunks.prefix { $0.storedAs != nil }.count }
    }

    /// From the session's thread: a chunk just cut, written to the spool at `offset` if `spooled`.
    func append(_ bytes: [UInt8], offset: Int64, spooled: Bool, final exitStatus: Int32?, at time: UInt64) {
        state.withLock { state in
            state.chunks.append(Chunk(offset: offset, length: bytes.count, spooled: spooled, isFinal: exitStatus != nil, bytes: bytes))
            state.heldBytes += bytes.count
            if let exitStatus {
                state.exitStatus = exitStatus
                state.finishedAt = time
            }
            evict(&state)
        }
    }

    /// Drops the bytes of the oldest held chunks until what is held fits. The header (chunk 0) is
    /// kept: the gateway takes no chunk 0 without it, and it is a few hundred bytes.
    private func evict(_ state: inout State) {
        while state.heldBytes > memoryLimit, state.oldestHeld < state.chunks.count - 1 {
            let index = state.oldestHeld
            state.oldestHeld += 1
            guard let bytes = state.chunks[index].bytes else { continue }
            if state.chunks[index].spooled {
                if state.chunks[index].digest == nil { state.chunks[index].digest = SHA256.hash(data: bytes) }
            } else {
                state.chunks[index].lost = true
            }
            state.chunks[index].bytes = nil
            state.heldBytes -= bytes.count
        }
    }

    /// What to send for chunk `index`, read back from the spool (and checked) if it is no longer
    /// in memory; nil when it has not been cut yet.
    func content(of index: Int) -> (content: Content, isFinal: Bool)? {
        let found: Chunk? = state.withLock { state in index < state.chunks.count ? state.chunks[index] : nil }
        guard let chunk = found else { return nil }
        if let bytes = chunk.bytes { return (.bytes(bytes), chunk.isFinal) }
        if chunk.lost { return (.lost(length: chunk.length), chunk.isFinal) }
        // Outside the lock: the session's thread goes on cutting while the disk is read.
        guard let digest = chunk.digest, let bytes = spool.read(at: chunk.offset, length: chunk.length), SHA256.hash(data: bytes) == digest else {
            state.withLock { $0.chunks[index].lost = true }
            return (.lost(length: chunk.length), chunk.isFinal)
        }
        return (.bytes(bytes), chunk.isFinal)
    }

    /// The gateway stored chunk `index` as `sequence`: its bytes leave memory, its digest stays,
    /// in case the gateway later turns out not to have it after all (restored from a backup).
    func stored(_ index: Int, as sequence: Int) {
        let pending: [UInt8]? = state.withLock { state in
            state.chunks[index].storedAs = sequence
            return state.chunks[index].digest == nil ? state.chunks[index].bytes : nil
        }
        // Hashed here, on the uploader's side, rather than by the session's thread as it cuts.
        let digest = pending.map { SHA256.hash(data: $0) }
        state.withLock { state in
            if let digest { state.chunks[index].digest = digest }
            if index > 0, let bytes = state.chunks[index].bytes {
                state.chunks[index].bytes = nil
                state.heldBytes -= bytes.count
            }
        }
    }

    /// The first chunk stored as `sequence` or later: where to resend from when the gateway says it
    /// expects `sequence` next.
    func firstChunk(storedAtOrAfter sequence: Int) -> Int? {
        state.withLock { state in state.chunks.firstIndex { ($0.storedAs ?? -1) >= sequence } }
    }

    /// The gateway no longer holds what it stored from `sequence` on: those chunks count as unsent.
    func forget(storedFrom sequence: Int) {
        state.withLock { state in
            for index in state.chunks.indices where (state.chunks[index].storedAs ?? -1) >= sequence {
                state.chunks[index].storedAs = nil
            }
        }
    }
}
