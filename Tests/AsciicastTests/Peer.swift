import Foundation
import Testing
import TestSupport

/// The real programs these tests hold the module to, found on PATH.
enum Peer {
    static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/local/bin", "/usr/bin", "/bin"]
        return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    /// asciinema 2.2 (Debian's `asciinema` package, which `make deps` installs).
    static func asciinema() throws -> String {
        guard let path = find("asciinema") else {
            throw Missing(description: "asciinema is not on PATH: install the Debian package asciinema (make deps installs it)")
        }
        return path
    }

    /// util-linux's `script` and `setsid`: a pty for `asciinema cat`, which reads /dev/tty, and no
    /// controlling terminal for `asciinema rec`, so that it records without one.
    static func utilLinux(_ name: String) throws -> String {
        guard let path = find(name) else { throw Missing(description: "\(name) (util-linux) is not on PATH") }
        return path
    }

    /// A scratch directory, removed after `body`.
    static func withScratch<Value>(_ body: (String) async throws -> Value) async throws -> Value {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-asciicast-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await body(directory)
    }

    /// Runs `command` to its end in `directory` (also its HOME: asciinema keeps its config there).
    static func run(_ command: [String], in directory: String) async throws -> (status: Int32, output: String, error: String) {
        let environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": directory, "LANG": "C.UTF-8", "TERM": "xterm-256color", "SHELL": "/bin/sh"]
        return try await blocking { try ChildProcess.run(command, input: nil, environment: environment, timeout: 60, in: directory) }
    }
}
