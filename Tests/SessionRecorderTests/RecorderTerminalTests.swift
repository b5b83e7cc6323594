import Asciicast
import Foundation
import Glibc
import Testing
import TestSupport

/// `countersign record` as sshd runs it for an interactive login: on a terminal (the test's),
/// with the certificate of the login in SSH_USER_AUTH; the gateway unreachable, so the spool is
/// the recording (uploads: `RecorderUploadTests`, end to end).
@Suite("countersign record on a terminal: what the session prints, types and sizes, recorded", .timeLimit(.minutes(2)))
struct RecorderTerminalTests {
    /// Runs `body` with a scratch directory, its sshd auth file and a recorder around it.
    static func withRecorder<Value: Sendable>(
        recordsInput: Bool = true, _ body: @escaping @Sendable (RecorderProcess, String) throws -> Value
    ) async throws -> Value {
        let directory = try RecorderFixtures.scratch()
        defer { try? FileManager.default.removeItem(at: directory) }
        let auth = try RecorderFixtures.authFile(in: directory, try RecorderFixtures.certificateLine(recordsInput: recordsInput))
        return try await blocking { try body(RecorderProcess(directory: directory), auth) }
    }

    /// What the recorder printed before its own notice about the unreachable gateway.
    static func sessionOutput(_ user: TerminalUser) -> String {
        let text = user.text
        return text.range(of: "countersign record: cannot reach").map { String(text[..<$0.lowerBound]) } ?? text
    }

    @Test("a command's output, its window size and its exit status pass through; the spool holds exactly what was printed, and asciinema cat prints it")
    func printedAndRecorded() async throws {
        try await Self.withRecorder { recorder, auth in
            let command = #"stty size; printf 'caf\303\251 \033[1mbold\033[0m\ttab\n'; printf 'no newline'; exit 42"#
            let user = try TerminalUser(
                RecorderProcess.arguments(spool: recorder.spoolDirectory), environment: recorder.environment(authFile: auth, command: command),
                columns: 100, rows: 30
            )
            let status = try user.finish()
            #expect(status == 42, "\(user.text)")
            let printed = Self.sessionOutput(user)
            #expect(printed == "30 100\r\ncafé \u{1B}[1mbold\u{1B}[0m\ttab\r\nno newline", "\(printed.debugDescription)")
            #expect(user.text.contains("countersign record: cannot reach the gateway"), "the unreachable gateway is said at the end")

            let spool = try recorder.spool()
            #expect(spool.header.width == 100 && spool.header.height == 30)
            #expect(spool.header.command == command && spool.header.term == "xterm-256color")
            #expect(RecorderProcess.printed(spool) == printed)
            #expect(try FileManager.default.attributesOfItem(atPath: recorder.spoolFile)[.posixPermissions] as? Int == 0o600)

            // The real asciinema reads the spool and prints the same bytes (it wants a terminal
            // for its keys: script gives it one; its output goes to a file, untranslated).
            let shown = recorder.directory.appendingPathComponent("shown").path
            let cat = try ChildProcess.run(
                ["/usr/bin/script", "-q", "-e", "-c", "asciinema cat \(recorder.spoolFile) > \(shown)", "/dev/null"], input: nil,
                environment: ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": recorder.directory.path], timeout: 30, in: recorder.directory.path
            )
            #expect(cat.status == 0, "\(cat.output)\(cat.error)")
            #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: shown)), as: UTF8.self) == printed)
        }
    }

    @Test("what the user types reaches the session and, with record-input, the recording: cat echoes it back")
    func typedInput() async throws {
        try await Self.withRecorder { recorder, auth in
            let user = try TerminalUser(
                RecorderProcess.arguments(spool: recorder.spoolDirectory), environment: recorder.environment(authFile: auth, command: "echo ready; cat")
            )
            #expect(user.read(until: "ready\r\n"))
            user.type("hello\r")
            #expect(user.read(until: "hello\r\nhello\r\n"), "the session's terminal echoes, cat repeats: \(user.text.debugDescription)")
            user.type("\u{04}")
            #expect(try user.finish() == 0)
            let spool = try recorder.spool()
            #expect(RecorderProcess.typed(spool) == "hello\r\u{04}")
            #expect(RecorderProcess.printed(spool) == "ready\r\nhello\r\nhello\r\n")
        }
    }

    @Test("without record-input what is typed reaches the session but not the recording")
    func inputNotRecorded() async throws {
        try await Self.withRecorder(recordsInput: false) { recorder, auth in
            let user = try TerminalUser(
                RecorderProcess.arguments(spool: recorder.spoolDirectory), environment: recorder.environment(authFile: auth, command: "echo ready; head -n 1")
            )
            #expect(user.read(until: "ready\r\n"))
            user.type("s3cret\r")
            #expect(try user.finish() == 0)
            let spool = try recorder.spool()
            #expect(RecorderProcess.typed(spool).isEmpty)
            #expect(spool.events.allSatisfy { if case .input = $0.kind { false } else { true } })
        }
    }

    @Test("a resize of the user's terminal reaches the session's and is recorded as an r event")
    func resize() async throws {
        try await Self.withRecorder { recorder, auth in
            let user = try TerminalUser(
                RecorderProcess.arguments(spool: recorder.spoolDirectory),
                environment: recorder.environment(authFile: auth, command: "stty size; echo ready; read line; stty size")
            )
            #expect(user.read(until: "ready\r\n"))
            user.resize(columns: 132, rows: 43)
            // The recorder's signal may be handled by any of its threads: let it land first.
            usleep(300_000)
            user.type("go\r")
            #expect(try user.finish() == 0)
            #expect(Self.sessionOutput(user).hasSuffix("43 132\r\n"), "\(user.text.debugDescription)")
            let spool = try recorder.spool()
            let resizes = spool.events.compactMap { if case .resize(let size) = $0.kind { size } else { nil } }
            #expect(resizes == [try AsciicastSize(columns: 132, rows: 43)])
            #expect(RecorderProcess.printed(spool).hasPrefix("24 80\r\n"))
        }
    }

    @Test("an interactive login runs the user's login shell on the session's terminal")
    func loginShell() async throws {
        try await Self.withRecorder { recorder, auth in
            let user = try TerminalUser(RecorderProcess.arguments(spool: recorder.spoolDirectory), environment: recorder.environment(authFile: auth, command: nil))
            user.type("echo \"shell=$0 tty=$(tty)\"; exit 3\r")
            #expect(try user.finish() == 3)
            let shell = getpwuid(getuid()).map { String(cString: $0.pointee.pw_shell) } ?? "/bin/sh"
            let name = shell.split(separator: "/").last.map(String.init) ?? shell
            #expect(user.text.contains("shell=-\(name) tty=/dev/pts/"), "\(user.text.debugDescription)")
            let spool = try recorder.spool()
            #expect(spool.header.command == nil)
            #expect(RecorderProcess.printed(spool).contains("shell=-\(name)"))
        }
    }

    @Test("a spool that fails mid-session (the file size limit) is said on the terminal; the session goes on to its end")
    func spoolFailsMidSession() async throws {
        try await Self.withRecorder { recorder, auth in
            let user = try TerminalUser(
                ["/usr/bin/prlimit", "--fsize=4096"] + RecorderProcess.arguments(spool: recorder.spoolDirectory),
                environment: recorder.environment(authFile: auth, command: "head -c 200000 /dev/zero | tr '\\000' x; echo; echo after; exit 6")
            )
            #expect(try user.finish() == 6)
            #expect(user.text.contains("can no longer be written"), "\(user.text.suffix(600))")
            #expect(user.text.contains(String(repeating: "x", count: 1000) + "\r\nafter\r\n"))
            #expect(user.text.filter { $0 == "x" }.count == 200_000, "every byte reached the terminal")
            let size = try FileManager.default.attributesOfItem(atPath: recorder.spoolFile)[.size] as? Int ?? 0
            #expect(size <= 4096)
        }
    }

    @Test("SIGTERM to the recorder reaches the session's processes; the recorder exits 128 plus the signal, the recording ends")
    func signalForwarded() async throws {
        try await Self.withRecorder { recorder, auth in
            let user = try TerminalUser(
                RecorderProcess.arguments(spool: recorder.spoolDirectory), environment: recorder.environment(authFile: auth, command: "echo ready; sleep 60; echo never")
            )
            #expect(user.read(until: "ready\r\n"))
            kill(user.pid, SIGTERM)
            #expect(try user.finish(timeout: 10) == 128 + SIGTERM)
            #expect(!user.text.contains("never"))
            let spool = try recorder.spool()
            #expect(RecorderProcess.printed(spool) == "ready\r\n")
        }
    }
}
