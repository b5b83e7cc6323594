#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One run of a helper program (fido2-assert, fido2-token) to its end: its input written to its
/// standard input, at most a bounded amount of its output and error kept, and killed once its
/// time is up. It shares this process's group, and so the terminal: fido2-assert reads the key's
/// PIN from /dev/tty, which a program in a background group could not.
struct ProgramRun {
    enum Failure: Error {
        /// Not found on PATH, or not executable.
        case missing(String)
        case cannotStart(String, reason: String)
        /// Its time ran out; it was killed.
        case timedOut(String)
    }

    /// Its exit status (128 plus the signal that ended it), and what it wrote, each cut at its
    /// limit (`outputOverflowed` says so of the output).
    let status: Int32
    let output: [UInt8]
    let outputOverflowed: Bool
    let error: [UInt8]

    static func run(
        _ arguments: [String], input: [UInt8], timeout: Double, outputLimit: Int, errorLimit: Int = 16 * 1024
    ) throws(Failure) -> ProgramRun {
        guard let program = arguments.first else { throw .cannotStart("", reason: "no program named") }
        let stdin = try pipe(for: program)
        let stdout = try pipe(for: program)
        let stderr = try pipe(for: program)
        defer { [stdout.read, stderr.read].forEach { close($0) } }
        let pid: pid_t
        do {
            defer { [stdin.read, stdout.write, stderr.write].forEach { close($0) } }
            pid = try spawn(arguments, stdin: stdin.read, stdout: stdout.write, stderr: stderr.write)
        } catch {
            close(stdin.write)
            throw error
        }
        // The input is a few hundred bytes, far below a pipe's buffer: it is written whole before
        // the program reads it. A program that exits without reading it has it refused with
        // EPIPE, ignored here rather than a signal that would end this process.
        signal(SIGPIPE, SIG_IGN)
        var written = 0
        while written < input.count {
            let count = input[written...].withUnsafeBytes { write(stdin.write, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            written += count
        }
        close(stdin.write)

        var output = Collected(limit: outputLimit)
        var error = Collected(limit: errorLimit)
        let deadline = Date().addingTimeInterval(timeout)
        var exitStatus: Int32?
        var open: [(descriptor: Int32, isOutput: Bool)] = [(stdout.read, true), (stderr.read, false)]
        while !open.isEmpty {
            if exitStatus == nil { exitStatus = reaped(pid) }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else {
                stop(pid)
                throw .timedOut(program)
            }
            // Once the program has exited, only what it left in the pipes is read: a child of its
            // own still holding them open must not keep this waiting.
            let wait = exitStatus == nil ? Int32(min(remaining, 0.1) * 1000) : 0
            var polled = open.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&polled, nfds_t(polled.count), max(wait, 0))
            if ready <= 0 {
                if exitStatus != nil { break }
                continue
            }
            var finished: Set<Int32> = []
            for (index, entry) in polled.enumerated() where entry.revents != 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                let count = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count <= 0 {
                    finished.insert(entry.fd)
                } else if open[index].isOutput {
                    output.append(buffer[..<count])
                } else {
                    error.append(buffer[..<count])
                }
            }
            open.removeAll { finished.contains($0.descriptor) }
            // More output than the answer can be is no answer: reading on would only wait for its end.
            if output.overflowed {
                if exitStatus == nil { stop(pid) }
                return ProgramRun(status: exitStatus ?? 128 + SIGTERM, output: output.bytes, outputOverflowed: true, error: error.bytes)
            }
        }
        // Both pipes closed: the program is ending, or has closed them and lingers.
        let status: Int32
        if let exitStatus {
            status = exitStatus
        } else {
            status = try awaitExit(pid, by: deadline, program: program)
        }
        return ProgramRun(status: status, output: output.bytes, outputOverflowed: output.overflowed, error: error.bytes)
    }

    private struct Collected {
        let limit: Int
        var bytes: [UInt8] = []
        var overflowed = false

        mutating func append(_ chunk: ArraySlice<UInt8>) {
            let room = limit - bytes.count
            if chunk.count > room { overflowed = true }
            bytes += chunk.prefix(max(room, 0))
        }
    }

    private static func pipe(for program: String) throws(Failure) -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        guard Glibc.pipe(&ends) == 0 else { throw .cannotStart(program, reason: String(cString: strerror(errno))) }
        // Another program started meanwhile must not hold an end: its own copy would keep a read
        // here from ever seeing the end of the output.
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return (ends[0], ends[1])
    }

    private static func spawn(_ arguments: [String], stdin: Int32, stdout: Int32, stderr: Int32) throws(Failure) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        // Nothing else of this process goes with the program: not the gateway's connection.
        guard closeFrom(&actions, 3) == 0 else { throw .cannotStart(arguments[0], reason: "cannot arrange for inherited descriptors to close") }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Ignored here (SIGPIPE, and SIGINT while ssh runs elsewhere) is not ignored there.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGPIPE, SIGINT, SIGQUIT] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))
        let argv = arguments.map { strdup($0) }
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv + [nil], environ)
        switch spawned {
        case 0: return pid
        case ENOENT, EACCES, ENOTDIR: throw .missing(arguments[0])
        default: throw .cannotStart(arguments[0], reason: String(cString: strerror(spawned)))
        }
    }

    private static func awaitExit(_ pid: pid_t, by deadline: Date, program: String) throws(Failure) -> Int32 {
        while deadline.timeIntervalSinceNow > 0 {
            if let status = reaped(pid) { return status }
            usleep(10_000)
        }
        stop(pid)
        throw .timedOut(program)
    }

    /// SIGTERM first: fido2-assert asking for the PIN has turned the terminal's echo off, and
    /// puts it back when terminated, not when killed.
    private static func stop(_ pid: pid_t) {
        kill(pid, SIGTERM)
        let grace = Date().addingTimeInterval(1)
        while Date() < grace {
            if reaped(pid) != nil { return }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        _ = waitForExit(pid)
    }

    /// The status if the program has exited, without waiting.
    private static func reaped(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        return decode(status)
    }

    private static func waitForExit(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { return 128 + SIGKILL }
        }
        return decode(status)
    }

    /// WIFEXITED and friends are macros Swift does not import: the low 7 bits are the signal.
    private static func decode(_ status: Int32) -> Int32 {
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which the Glibc module
/// leaves out: the child closes every descriptor from `lowest` on before it runs.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func closeFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ lowest: Int32) -> Int32
