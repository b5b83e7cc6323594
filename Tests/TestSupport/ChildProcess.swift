import Foundation
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
        try start(command, input: "/dev/null", output: log, error: nil, environment: environment)
    }

    /// Runs `command` to its end with `input` on standard input, its output and error kept in
    /// files rather than pipes: a pipe's end inherited by some other test's long-lived child (a
    /// daemon, an sshd) would keep a reader waiting for an end of file that never comes.
    public static func run(
        _ command: [String], input: String?, environment: [String: String]?, timeout: Double, in directory: String
    ) throws -> (status: Int32, output: String, error: String) {
        let stem = directory + "/child-\(UInt64.random(in: .min ... .max))"
        let (inputPath, outputPath, errorPath) = (stem + ".in", stem + ".out", stem + ".err")
        defer { for path in [inputPath, outputPath, errorPath] { unlink(path) } }
        guard FileManager.default.createFile(atPath: inputPath, contents: Data((input ?? "").utf8)) else {
            throw Failure(description: "could not write \(inputPath)")
        }
        let child = try start(command, input: inputPath, output: outputPath, error: errorPath, environment: environment)
        guard let status = try child.wait(timeout: timeout) else {
            kill(child.pid, SIGKILL)
            _ = try? child.wait()
            throw Failure(description: "\(command.joined(separator: " ")) timed out")
        }
        let read = { (path: String) in String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) }
        return (status, read(outputPath), read(errorPath))
    }

    /// Standard error into `error`, or beside standard output when nil.
    private static func start(
        _ command: [String], input: String, output: String, error: String?, environment: [String: String]?
    ) throws -> ChildProcess {
        guard let executable = command.first else { throw Failure(description: "no command to start") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0)
        // Nothing else of this process goes with the child: a long-lived one (a PostgreSQL cluster,
        // an sshd) holding a copy of an in-process gateway's socket keeps the connection open
        // after the gateway closed it, and a test waiting for the close waits in vain.
        guard closeFrom(&actions, 3) == 0 else { throw Failure(description: "cannot arrange for \(command.first ?? "a child") to close inherited descriptors") }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if let error {
            posix_spawn_file_actions_addopen(&actions, 2, error, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
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

    /// Waits at most `timeout` seconds for the child to end: its status, or nil if it has not.
    public func wait(timeout: Double) throws -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid {
                let signal = status & 0x7F
                return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
            }
            guard reaped == 0 || errno == EINTR else { throw Failure(description: "lost \(command): error \(errno)") }
            guard Date() < deadline else { return nil }
            usleep(5_000)
        }
    }

    public func terminate() {
        kill(pid, SIGTERM)
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which the Glibc module
/// leaves out: the child closes every descriptor from `lowest` on before it runs.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func closeFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ lowest: Int32) -> Int32
