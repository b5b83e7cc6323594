import CRecorderPTY
import Glibc

/// The signals the session's loop acts on, delivered as bytes on a pipe it polls beside the
/// terminal (the self-pipe trick): a handler only writes a byte, and the loop does the work.
struct SignalPipe {
    /// Passed on to the session's process group: sshd hangs up (SIGHUP) or is asked to end the
    /// session (SIGTERM, SIGINT); the session's program decides what that means.
    static let forwarded: [Int32] = [SIGHUP, SIGTERM, SIGINT]
    static let handled: [Int32] = forwarded + [SIGCHLD, SIGWINCH]

    let descriptor: Int32

    static func install() throws(RecorderError) -> SignalPipe {
        let descriptor = handled.withUnsafeBufferPointer { countersign_signal_pipe($0.baseAddress, Int32($0.count)) }
        guard descriptor >= 0 else { throw RecorderError(.sessionFailed, "cannot set up signal handling: \(String(cString: strerror(errno)))") }
        return SignalPipe(descriptor: descriptor)
    }

    /// The signals delivered since the last call, in order.
    func drain() -> [Int32] {
        var signals: [Int32] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let got = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard got > 0 else { break }
            signals += buffer[0..<got].map { Int32($0) }
        }
        return signals
    }
}
