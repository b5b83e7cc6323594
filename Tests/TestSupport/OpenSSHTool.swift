import Foundation

/// The real `ssh-keygen`, run in a scratch directory of its own: the independent reader that
/// every certificate and revocation list here is held to.
public struct OpenSSHTool: Sendable {
    public struct Outcome: Sendable {
        public let status: Int32
        public let output: String
    }

    public let directory: URL

    public static func withScratch<Value>(_ body: (OpenSSHTool) async throws -> Value) async throws -> Value {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-ssh-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(OpenSSHTool(directory: directory))
    }

    public func write(_ name: String, _ text: String) throws -> String {
        try write(name, Array(text.utf8))
    }

    public func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    public func read(_ name: String) throws -> String {
        try String(contentsOfFile: directory.appendingPathComponent(name).path, encoding: .utf8)
    }

    /// `ssh-keygen` with `arguments`, times printed in UTC; standard output and error together.
    public func keygen(_ arguments: [String]) async throws -> Outcome {
        try await run("/usr/bin/ssh-keygen", arguments)
    }

    /// One of OpenSSH's programs, run to its end, times printed in UTC.
    public func run(_ executable: String, _ arguments: [String]) async throws -> Outcome {
        let log = directory.appendingPathComponent("output-\(UUID().uuidString)").path
        let status = try await blocking {
            try ChildProcess.start([executable] + arguments, log: log, environment: ["TZ": "UTC", "PATH": "/usr/bin:/bin"]).wait()
        }
        defer { try? FileManager.default.removeItem(atPath: log) }
        return Outcome(status: status, output: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }
}
