#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import TestSupport
import Testing

/// Where `swift build` put the executables under test: beside the test bundle.
enum Binaries {
    static let directory: URL = {
        let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        if FileManager.default.fileExists(atPath: bundle.appendingPathComponent("countersignd").path) { return bundle }
        return repositoryRoot.appendingPathComponent(".build/debug")
    }()

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var daemon: URL { directory.appendingPathComponent("countersignd") }
    static var cli: URL { directory.appendingPathComponent("countersign") }
}

struct ProcessFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A scratch directory per test, removed at the end.
struct Scratch {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove() { try? FileManager.default.removeItem(at: url) }

    /// The example policies, except that payments production deploys accept session approvals,
    /// which is how the CLI approves; the shipped rule takes keys only. One comment line becomes
    /// `hardware_key: false`, so every other line keeps its number.
    /// The example policies with session approvals for payments production deploys (and, with
    /// `singleUse`, each approval covering one rollout).
    func sessionApprovalPolicies(singleUse: Bool = false) throws -> String {
        let copy = url.appendingPathComponent("policies")
        try FileManager.default.copyItem(at: Binaries.repositoryRoot.appendingPathComponent("policies"), to: copy)
        let rules = copy.appendingPathComponent("deploy.yaml")
        let marker = "    # Rules that accept a plain session approval say `hardware_key: false`, as staging does.\n"
        let text = try String(contentsOf: rules, encoding: .utf8)
        guard text.contains(marker) else { throw ProcessFailure("policies/deploy.yaml no longer has the line the tests turn into hardware_key: false") }
        let replacement = "    hardware_key: false\n" + (singleUse ? "    single_use: true\n" : "")
        try text.replacingOccurrences(of: marker, with: replacement).write(to: rules, atomically: true, encoding: .utf8)
        return copy.path
    }
}

/// A real `countersignd` on 127.0.0.1 with an ephemeral port, its own data directory and the demo
/// PAM users. Started and reaped as a `ChildProcess`: Foundation's `waitUntilExit` was seen to
/// park a test for ever on a daemon that had long exited, on a loaded CI machine.
final class Daemon: @unchecked Sendable {
    let child: ChildProcess
    let port: Int
    let dataDirectory: String
    private let exitStatus = Mutex<Int32?>(nil)

    var url: String { "http://127.0.0.1:\(port)" }

    /// Starts a daemon and waits for it to listen, on a thread of its own (`blocking`).
    static func start(
        scratch: Scratch, policies: String = Binaries.repositoryRoot.appendingPathComponent("policies").path, extraArguments: [String] = []
    ) async throws -> Daemon {
        try await blocking { try Daemon(scratch: scratch, policies: policies, extraArguments: extraArguments) }
    }

    private init(scratch: Scratch, policies: String, extraArguments: [String]) throws {
        let pam = scratch.path("pam")
        if !FileManager.default.fileExists(atPath: pam) {
            try Command.runBlocking(Binaries.repositoryRoot.appendingPathComponent("scripts/demo-pam.sh").path, [pam]).requireSuccess()
        }
        dataDirectory = scratch.path("data")
        // Each start its own log: a daemon restarted on the same scratch must not read the last one's port.
        let log = scratch.path("countersignd-\(UInt64.random(in: .min ... .max)).log")
        child = try ChildProcess.start([
            Binaries.daemon.path, "--listen", "127.0.0.1:0", "--data-dir", dataDirectory, "--policies", policies,
            "--pam-service", "countersign", "--pam-config-dir", pam, "--log-level", "warning",
        ] + extraArguments, log: log)
        do {
            port = try Self.readPort(from: log, child: child)
        } catch {
            kill(child.pid, SIGKILL)
            _ = try? child.wait()
            throw error
        }
    }

    /// Reads the log until the "listening on" line, bounded so a daemon that never starts fails the
    /// test instead of hanging it.
    private static func readPort(from log: String, child: ChildProcess) throws -> Int {
        let deadline = Date().addingTimeInterval(30)
        var text = ""
        while Date() < deadline {
            text = String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.contains("listening on http://127.0.0.1:") }),
               let port = Int(line.split(separator: ":").last ?? "") {
                return port
            }
            if try child.wait(timeout: 0.05) != nil {
                // What it said as it exited, written after the read above.
                text = String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self)
                break
            }
        }
        throw ProcessFailure("countersignd did not start: \(text)")
    }

    func signal(_ number: Int32) {
        kill(child.pid, number)
    }

    /// Signals the daemon and waits for it to exit; its exit status.
    @discardableResult
    func stop(signal number: Int32 = SIGTERM) async throws -> Int32 {
        try await blocking { [self] in
            if let status = exitStatus.withLock({ $0 }) { return status }
            kill(child.pid, number)
            let status = try child.wait()
            exitStatus.withLock { $0 = status }
            return status
        }
    }

    deinit {
        if exitStatus.withLock({ $0 }) == nil {
            kill(child.pid, SIGKILL)
            _ = try? child.wait()
        }
    }
}

struct CommandResult {
    let status: Int32
    let standardOutput: String
    let standardError: String

    func requireSuccess() throws {
        guard status == 0 else { throw ProcessFailure("exit \(status): \(standardError)") }
    }
}

enum Command {
    /// Runs a program to completion with a bounded wait, feeding `input` on standard input, on a
    /// thread of its own (`blocking`).
    static func run(_ executable: String, _ arguments: [String], input: String? = nil, environment: [String: String] = [:], timeout: TimeInterval = 60) async throws -> CommandResult {
        try await blocking { try runBlocking(executable, arguments, input: input, environment: environment, timeout: timeout) }
    }

    fileprivate static func runBlocking(_ executable: String, _ arguments: [String], input: String? = nil, environment: [String: String] = [:], timeout: TimeInterval = 60) throws -> CommandResult {
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { $1 }
        do {
            let result = try ChildProcess.run(
                [executable] + arguments, input: input, environment: merged, timeout: timeout, in: FileManager.default.temporaryDirectory.path
            )
            return CommandResult(status: result.status, standardOutput: result.output, standardError: result.error)
        } catch let failure as ChildProcess.Failure {
            throw ProcessFailure(failure.description)
        }
    }
}


/// The `countersign` CLI as one user runs it: their own config directory (credentials file).
struct CLI {
    let server: String
    let home: String

    init(server: String, scratch: Scratch, user: String) {
        self.server = server
        home = scratch.path("home-\(user)")
    }

    @discardableResult
    func run(_ arguments: String..., input: String? = nil) async throws -> CommandResult {
        try await run(arguments, input: input)
    }

    func run(_ arguments: [String], input: String? = nil) async throws -> CommandResult {
        try await Command.run(Binaries.cli.path, arguments, input: input, environment: ["XDG_CONFIG_HOME": home, "COUNTERSIGN_SERVER": server])
    }

    func login(_ user: String) async throws {
        try await run("login", "-u", user, "--password-stdin", input: "\(user)-demo-pw\n").requireSuccess()
    }
}

extension Daemon {
    /// The CLI of a demo user, logged in to this daemon with their demo password.
    func loggedInCLI(_ user: String, scratch: Scratch) async throws -> CLI {
        let cli = CLI(server: url, scratch: scratch, user: user)
        try await cli.login(user)
        return cli
    }
}
