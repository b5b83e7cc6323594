import CRecorderPTY
import Glibc

/// The session's program, started through the C side (fork and exec with nothing but
/// async-signal-safe calls between them, which Swift cannot promise) as the leader of a session
/// of its own: the recorder's signals go to its whole process group, and it never shares the
/// recorder's.
struct SessionChild {
    let pid: pid_t

    /// Starts `program` on a new pseudo-terminal of `size`; the master side is returned, non-blocking.
    static func onTerminal(_ program: SessionProgram, size: winsize) throws(RecorderError) -> (SessionChild, master: Int32) {
        var master: Int32 = -1
        var size = size
        let pid = withCStrings(program) { path, argv, envp in countersign_spawn_on_terminal(path, argv, envp, &size, &master) }
        guard pid > 0 else { throw RecorderError(.sessionFailed, "cannot open a terminal for the session: \(String(cString: strerror(errno)))") }
        _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
        return (SessionChild(pid: pid), master)
    }

    /// The recorder's ends of the three pipes a session without a terminal runs on.
    struct Pipes {
        /// Where the user's input goes (non-blocking).
        let input: Int32
        let output: Int32
        let error: Int32
    }

    /// Starts `program` with its standard input, output and error on pipes.
    static func withPipes(_ program: SessionProgram) throws(RecorderError) -> (SessionChild, Pipes) {
        var ends: [[Int32]] = []
        for _ in 0..<3 {
            var pair: [Int32] = [-1, -1]
            guard countersign_pipe(&pair) == 0 else {
                ends.flatMap { $0 }.forEach { close($0) }
                throw RecorderError(.sessionFailed, "cannot make pipes for the session: \(String(cString: strerror(errno)))")
            }
            ends.append(pair)
        }
        let (input, output, error) = (ends[0], ends[1], ends[2])
        let pid = withCStrings(program) { path, argv, envp in countersign_spawn_with_pipes(path, argv, envp, input[0], output[1], error[1]) }
        close(input[0])
        close(output[1])
        close(error[1])
        guard pid > 0 else {
            [input[1], output[0], error[0]].forEach { close($0) }
            throw RecorderError(.sessionFailed, "cannot start the session's command: \(String(cString: strerror(errno)))")
        }
        _ = fcntl(input[1], F_SETFL, fcntl(input[1], F_GETFL) | O_NONBLOCK)
        return (SessionChild(pid: pid), Pipes(input: input[1], output: output[0], error: error[0]))
    }

    /// The exit status if the child has ended (reaping it): its code, or 128 plus the signal that
    /// ended it, as a shell reports it.
    func reap() -> Int32? {
        var status: Int32 = 0
        var reaped: pid_t
        repeat { reaped = waitpid(pid, &status, WNOHANG) } while reaped < 0 && errno == EINTR
        guard reaped == pid else { return reaped < 0 ? 255 : nil }
        // WIFEXITED and friends are macros Swift does not import: the low 7 bits are the signal.
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// Forwards `signal` to the child's process group.
    func forward(_ signal: Int32) {
        kill(-pid, signal)
    }

    /// The C strings of argv and the environment, alive for the call only.
    private static func withCStrings(
        _ program: SessionProgram, _ body: (UnsafePointer<CChar>, UnsafePointer<UnsafeMutablePointer<CChar>?>, UnsafePointer<UnsafeMutablePointer<CChar>?>) -> pid_t
    ) -> pid_t {
        let argv = program.arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        return program.path.withCString { path in
            argv.withUnsafeBufferPointer { arguments in
                guard let base = arguments.baseAddress else { return -1 }
                // This process's environment, as sshd made it for the session.
                return body(path, base, UnsafePointer(environ))
            }
        }
    }
}
