import Asciicast
import Glibc

/// The session's side of a recording, on its own thread: bytes become asciicast events as they
/// are read, the events are cut into chunks (contract: at 64 KiB of lines, or 250 ms after the
/// last cut when anything is waiting), and each chunk is written to the spool before the ledger
/// hands it to the uploader.
///
/// Writing the spool per chunk rather than per read keeps the hot path to a read, a write to the
/// terminal and the encoding: one spool write per 64 KiB under a flood of output, and what was
/// printed is in the spool within 250 ms (on the disk within a second, `SpoolSync`).
struct SessionRecording {
    static let chunkBytes = 64 * 1024
    static let chunkInterval: UInt64 = 250_000_000
    /// Room for a chunk of 4 KiB pty reads and one more, kept under glibc's mmap threshold (128 KiB)
    /// so a new buffer per chunk comes from the heap, not from a fresh mapping.
    static let bufferCapacity = 96 * 1024

    private var encoder = AsciicastStreamEncoder()
    private var pending: [UInt8] = []
    private var offset: Int64 = 0
    private var lastCut: UInt64
    private let started: UInt64
    private let clock: any SessionClock
    private let spool: SpoolFile
    private let ledger: ChunkLedger
    private let notices: SessionNotices
    let recordsInput: Bool

    /// Writes and syncs the header as chunk 0 on its own, before the session starts: a spool that
    /// cannot take it means nothing could be recorded, and the session is refused.
    init(
        header: AsciicastHeader, spool: SpoolFile, ledger: ChunkLedger, clock: any SessionClock, recordsInput: Bool, notices: SessionNotices
    ) throws(RecorderError) {
        let line = header.jsonLine()
        if let error = spool.write(line, at: 0) {
            throw RecorderError(.spoolUnavailable, "cannot write the spool file \(spool.path): \(String(cString: strerror(error)))")
        }
        guard spool.sync() else { throw RecorderError(.spoolUnavailable, "cannot sync the spool file \(spool.path) to its disk") }
        started = clock.nanoseconds()
        lastCut = started
        self.clock = clock
        self.spool = spool
        self.ledger = ledger
        self.notices = notices
        self.recordsInput = recordsInput
        ledger.append(line, offset: 0, spooled: true, final: nil, at: started)
        offset = Int64(line.count)
        pending.reserveCapacity(Self.bufferCapacity)
    }

    private func time(_ now: UInt64) -> AsciicastTime {
        AsciicastTime(clamping: Int64(clamping: (now &- started) / 1000))
    }

    /// Bytes read from the session's terminal or pipes (`.output`) or from the user (`.input`,
    /// kept only when the certificate says so).
    mutating func record(_ stream: AsciicastStream, _ bytes: UnsafeRawBufferPointer) {
        guard stream == .output || recordsInput else { return }
        let now = clock.nanoseconds()
        encoder.encode(stream, bytes, at: time(now), into: &pending)
        if pending.count >= Self.chunkBytes { cut(at: now, final: nil) }
    }

    mutating func resize(_ size: AsciicastSize) {
        let now = clock.nanoseconds()
        encoder.resize(size, at: time(now), into: &pending)
    }

    /// Cuts what is waiting if the last cut is 250 ms old.
    mutating func cutIfDue() {
        guard !pending.isEmpty else { return }
        let now = clock.nanoseconds()
        if now &- lastCut >= Self.chunkInterval { cut(at: now, final: nil) }
    }

    /// How long the session's loop may sleep before a cut is due: -1 (for ever) when nothing waits.
    var millisecondsUntilCut: Int32 {
        guard !pending.isEmpty else { return -1 }
        let elapsed = clock.nanoseconds() &- lastCut
        guard elapsed < Self.chunkInterval else { return 0 }
        return Int32((Self.chunkInterval - elapsed + 999_999) / 1_000_000)
    }

    /// The end of the session: what the encoder holds back, then the final chunk (empty if nothing
    /// waits), which carries the exit status; then the spool is synced.
    mutating func finish(exitStatus: Int32) {
        let now = clock.nanoseconds()
        encoder.flush(at: time(now), into: &pending)
        cut(at: now, final: exitStatus)
        spool.sync()
    }

    private mutating func cut(at now: UInt64, final exitStatus: Int32?) {
        let bytes = pending
        pending = []
        pending.reserveCapacity(Self.bufferCapacity)
        lastCut = now
        var spooled = !spool.hasFailed
        if !bytes.isEmpty, spooled, let error = spool.write(bytes, at: offset) {
            spooled = false
            notices.spoolFailed(spool.path, reason: String(cString: strerror(error)))
        }
        ledger.append(bytes, offset: offset, spooled: spooled, final: exitStatus, at: now)
        offset += Int64(bytes.count)
    }
}
