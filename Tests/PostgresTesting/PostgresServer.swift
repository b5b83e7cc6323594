#if canImport(Glibc)
import Glibc
#endif
import Foundation
import PostgresNIO
import TestSupport

/// A real PostgreSQL for this test process: one cluster, started on first use on 127.0.0.1 at a
/// free port in a fresh directory, stopped when the process exits; a fresh database per test.
///
/// PostgreSQL refuses to run as root, and CI runs as root: then the cluster directory belongs to
/// the `postgres` user and every server binary runs through `runuser`. A developer who is not
/// root runs them directly.
public enum PostgresServer {
    public struct Cluster: Sendable {
        public let directory: String
        public let port: Int
        let binaries: String
    }

    /// The cluster's superuser, trusted on 127.0.0.1 only (initdb -A trust).
    public static let user = "countersign"

    /// A failed start is kept: every later test sees the same reason instead of trying again.
    private static let started = Result { try start() }
    nonisolated(unsafe) private static var running: Cluster?

    /// The cluster, started on first use.
    public static func cluster() async throws -> Cluster {
        try await blocking { try started.get() }
    }

    /// Creates an empty database with a random name on the shared cluster, so tests are
    /// independent whatever order they run in.
    public static func createDatabase() async throws -> String {
        let cluster = try await cluster()
        return try await blocking { try createDatabase(on: cluster) }
    }

    private static func createDatabase(on cluster: Cluster) throws -> String {
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try run(
            cluster.binaries + "/psql",
            ["-h", "127.0.0.1", "-p", String(cluster.port), "-U", user, "-d", "postgres", "-q", "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE \(name)"],
            asPostgres: false, log: cluster.directory + "/createdb.\(name).log"
        )
        return name
    }

    public static func configuration(database: String) async throws -> PostgresClient.Configuration {
        PostgresClient.Configuration(host: "127.0.0.1", port: try await cluster().port, username: user, password: nil, database: database, tls: .disable)
    }

    private static let directoryPrefix = "countersign-pg-"

    private static func start() throws -> Cluster {
        let binaries = try serverBinaries()
        stopAbandonedClusters(binaries: binaries)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(directoryPrefix + UUID().uuidString.prefix(8)).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        try String(getpid()).write(toFile: directory + "/owner", atomically: false, encoding: .utf8)
        if getuid() == 0 {
            try run("/bin/chown", ["postgres:postgres", directory], asPostgres: false, log: "/dev/null")
        }
        let port = try LoopbackPort.free()
        // A test cluster need not survive a power cut, only its clients' deaths, which the page
        // cache outlives: no syncs, neither at initdb nor in the server. With them, the suites'
        // parallel CREATE DATABASEs (each a template's worth of WAL, synced) held the disk for the
        // first minute of the run, and every in-process gateway's SQLite commit waited behind them.
        try run(binaries + "/initdb", ["-D", directory + "/data", "-A", "trust", "-U", user, "--no-sync"], asPostgres: true, log: directory + "/initdb.log")
        // max_connections: the suites run in parallel, each test with pools of its own; at the
        // default 100 they turn connections away, and a pool's retry stalls the test behind it.
        try run(binaries + "/pg_ctl", [
            "-D", directory + "/data", "-l", directory + "/server.log", "-w",
            "-o", "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            "start",
        ], asPostgres: true, log: directory + "/pg_ctl.log")
        let cluster = Cluster(directory: directory, port: port, binaries: binaries)
        running = cluster
        atexit {
            guard let cluster = PostgresServer.running else { return }
            try? PostgresServer.run(
                cluster.binaries + "/pg_ctl", ["-D", cluster.directory + "/data", "-m", "immediate", "-w", "stop"],
                asPostgres: true, log: "/dev/null"
            )
            try? FileManager.default.removeItem(atPath: cluster.directory)
        }
        return cluster
    }

    /// A test process that was killed (a timeout, a closed pipe) never ran its atexit: its server
    /// would run on for ever. The next test process stops every cluster whose owner is gone.
    private static func stopAbandonedClusters(binaries: String) {
        let temporary = FileManager.default.temporaryDirectory.path
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []
        for entry in entries where entry.hasPrefix(directoryPrefix) {
            let directory = temporary + "/" + entry
            guard let text = try? String(contentsOfFile: directory + "/owner", encoding: .utf8),
                  let owner = pid_t(text), owner > 0, kill(owner, 0) != 0, errno == ESRCH else { continue }
            try? run(binaries + "/pg_ctl", ["-D", directory + "/data", "-m", "immediate", "-w", "stop"], asPostgres: true, log: "/dev/null")
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// Where initdb and pg_ctl live: not on a plain Debian PATH (`pg_config --bindir` names the
    /// same directory, but only when the server's development package is the one installed).
    private static func serverBinaries() throws -> String {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        let candidates = versions.compactMap(Int.init).sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin" }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }) else {
            throw PostgresServerError("no PostgreSQL server under /usr/lib/postgresql (apt-get install postgresql)")
        }
        return found
    }

    /// Runs a command to its end with its output in `log`.
    static func run(_ executable: String, _ arguments: [String], asPostgres: Bool, log: String) throws {
        let command = asPostgres && getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--", executable] + arguments : [executable] + arguments
        let status = try ChildProcess.start(command, log: log).wait()
        guard status == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw PostgresServerError("\(executable) failed (status \(status)): \(output.suffix(2000))")
        }
    }
}

public struct PostgresServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
