import Asciicast
import CRecorderPTY
import Foundation
import Glibc
import TestSupport

/// The real `countersign record` as sshd runs it: its binary beside the test bundle, its
/// environment as sshd sets it (SSH_USER_AUTH, SSH_ORIGINAL_COMMAND), on a terminal of the test's
/// own (an interactive login) or on files (`ssh host cmd`).
struct RecorderProcess {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let binary: String = {
        let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let beside = bundle.appendingPathComponent("countersign").path
        if FileManager.default.fileExists(atPath: beside) { return beside }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/countersign").path
    }()

    /// Nothing listens there: the recorder records and gives up uploading at once (`--upload-grace 0`).
    static let unreachableGateway = "http://127.0.0.1:9"

    let directory: URL
    var spoolDirectory: String { directory.appendingPathComponent("spool").path }
    /// Every session's spool, `<certificate's recording id>.<session id>.cast`, in name order.
    var spoolFiles: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: spoolDirectory)) ?? []
        return names.filter { $0.hasSuffix(".cast") }.sorted().map { spoolDirectory + "/" + $0 }
    }

    /// The spool of the one session the test ran.
    var spoolFile: String { spoolFiles.first ?? spoolDirectory + "/no-spool.cast" }

    static func arguments(gateway: String = unreachableGateway, spool: String, grace: String = "0") -> [String] {
        [binary, "record", "--gateway", gateway, "--spool-dir", spool, "--upload-grace", grace]
    }

    func environment(authFile: String?, command: String?) -> [String: String] {
        var environment = ["PATH": "/usr/bin:/bin", "TERM": "xterm-256color", "HOME": directory.path, "LANG": "C.UTF-8"]
        environment["SSH_USER_AUTH"] = authFile
        environment["SSH_ORIGINAL_COMMAND"] = command
        return environment
    }

    /// The spool as the real reader reads it.
    func spool() throws -> AsciicastFile { try Self.spool(at: spoolFile) }

    static func spool(at path: String) throws -> AsciicastFile {
        try AsciicastFile(
            parsing: Array(try Data(contentsOf: URL(fileURLWithPath: path))),
            limits: AsciicastLimits(maximumLineLength: 2 * 1024 * 1024, maximumTotalSize: 512 * 1024 * 1024, maximumEventCount: 10_000_000)
        )
    }

    /// The text of every output event, in order: what the session printed.
    static func printed(_ file: AsciicastFile) -> String {
        file.events.compactMap { if case .output(let text) = $0.kind { text } else { nil } }.joined()
    }

    static func typed(_ file: AsciicastFile) -> String {
        file.events.compactMap { if case .input(let text) = $0.kind { text } else { nil } }.joined()
    }
}

/// `countersign record` on a pseudo-terminal the test holds the master of: the test is the user's
/// terminal, reading what the recorder prints, typing, resizing.
final class TerminalUser {
    let pid: pid_t
    let master: Int32
    private(set) var received: [UInt8] = []

    init(_ arguments: [String], environment: [String: String], columns: UInt16 = 80, rows: UInt16 = 24) throws {
        var size = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var master: Int32 = -1
        pid = countersign_spawn_on_terminal(arguments[0], argv, envp, &size, &master)
        guard pid > 0 else { throw RecorderProcess.Failure(description: "cannot start \(arguments[0]) on a terminal") }
        self.master = master
    }

    deinit {
        close(master)
    }

    var text: String { String(decoding: received, as: UTF8.self) }

    /// Reads what arrives until `needle` has, or `timeout` seconds pass.
    @discardableResult
    func read(until needle: String, timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !text.contains(needle) {
            guard Date() < deadline, readSome(milliseconds: 50) != nil else { return text.contains(needle) }
        }
        return true
    }

    /// One poll and read: nil when the terminal is closed.
    private func readSome(milliseconds: Int32) -> Int? {
        var ready = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        guard poll(&ready, 1, milliseconds) > 0 else { return 0 }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let got = buffer.withUnsafeMutableBytes { Glibc.read(master, $0.baseAddress, $0.count) }
        guard got > 0 else { return nil }
        received += buffer[0..<got]
        return got
    }

    func type(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { write(master, $0.baseAddress, $0.count) }
    }

    /// The user's terminal changes size: the kernel signals the recorder, as it does sshd's
    /// session when the client sends a window change.
    func resize(columns: UInt16, rows: UInt16) {
        var size = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        _ = countersign_set_window_size(master, &size)
    }

    /// Reads to the end and reaps the recorder: its exit status.
    func finish(timeout: Double = 20) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if readSome(milliseconds: 50) == nil { break }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            guard Date() < deadline else {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                throw RecorderProcess.Failure(description: "the recorder did not end: \(text)")
            }
            usleep(5_000)
        }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }
}
