import Glibc

/// A child process started with posix_spawn and reaped with waitpid, rather than Foundation's
/// Process, whose waitUntilExit was seen to hang for ever on a child that had exited (a runuser;
/// an ssh-keygen while an sshd child ran beside it).
public struct ChildProcess: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let pid: pid_t
    public let command: String

    /// Starts `command` (its absolute path first) with standard input from /dev/null and standard
    /// output and error into the file `log`; with `environment`, or this process's when nil.
    public static func start(_ command: [String], log: String, environment: [String: String]? = nil) throws -> ChildProcess {
        guard let executable = command.first else { throw Failure(description: "no command to start") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = command.map { strdup($0) }
        defer { argv.forEach { free($0) } }
        let envp = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } }
        defer { envp?.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = envp.map { posix_spawn(&pid, executable, &actions, nil, argv + [nil], $0 + [nil]) }
            ?? posix_spawn(&pid, executable, &actions, nil, argv + [nil], environ)
        guard spawned == 0 else { throw Failure(description: "\(executable) could not start: error \(spawned)") }
        return ChildProcess(pid: pid, command: executable)
    }

    /// Waits for the child to end: its exit status, or 128 plus the signal that ended it.
    public func wait() throws -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw Failure(description: "lost \(command): error \(errno)") }
        }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    public func terminate() {
        kill(pid, SIGTERM)
    }
}
