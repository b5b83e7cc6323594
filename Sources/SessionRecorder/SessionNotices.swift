import Glibc
import Synchronization

/// What the recorder tells the person at the terminal, on standard error: prefixed with its name,
/// each warning once, lines ended with CR LF while the terminal is raw (no output processing
/// then turns LF into a new line).
final class SessionNotices: Sendable {
    private let raw = Atomic<Bool>(false)
    private let spoolReported = Atomic<Bool>(false)

    func terminalIsRaw(_ value: Bool) {
        raw.store(value, ordering: .relaxed)
    }

    func say(_ message: String) {
        let line = raw.load(ordering: .relaxed) ? "\r\ncountersign record: \(message)\r\n" : "countersign record: \(message)\n"
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    /// The session goes on when the spool fails mid-way: cutting it off would lose the user's
    /// work in progress, and the recording still reaches the gateway from memory. What it costs
    /// is said here, once.
    func spoolFailed(_ path: String, reason: String) {
        guard !spoolReported.exchange(true, ordering: .relaxed) else { return }
        say("the spool file \(path) can no longer be written (\(reason)); the session goes on and is uploaded from memory, but a gateway outage now loses what does not fit in memory")
    }
}
