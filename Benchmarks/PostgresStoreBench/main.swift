import CountersignCore
import CountersignPostgres
import CountersignStore
import Foundation
import Logging
import PostgresNIO

/// Durable commits per second through the PostgreSQL store (request create + approve, each one
/// commit with its audit append: the workload countersign-bench-store runs on SQLite) beside a
/// prepared INSERT loop over one connection to the same server, one INSERT per transaction. The
/// two alternate in rounds, so a disk or CPU hiccup lands on both, and the median ratio is
/// reported. The database must be empty: the store migrates it and the baseline adds its table.
/// Usage: countersign-bench-store-postgres postgres://USER@HOST:PORT/DATABASE [commits per round] [rounds]
let arguments = CommandLine.arguments
guard let url = arguments.dropFirst().first else {
    FileHandle.standardError.write(Data("usage: countersign-bench-store-postgres postgres://USER@HOST:PORT/DATABASE [commits per round] [rounds]\n".utf8))
    exit(64)
}
let requests = max(50, Int(arguments.dropFirst(2).first ?? "") ?? 1000) / 2
let rounds = max(1, Int(arguments.dropFirst(3).first ?? "") ?? 5)
let location = try PostgresLocation(url: url)
var logger = Logger(label: "countersign-bench-store-postgres")
logger.logLevel = .error

func seconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

let store = PostgresStore(configuration: location.clientConfiguration, logger: logger)
let raw = PostgresClient(configuration: location.clientConfiguration, backgroundLogger: logger)
let requirement = try ApprovalRequirement(clauses: [ApprovalClause(count: 1, group: "sre")], hardwareKeyRequired: false)
let requester = try Username("alice")
let approver = Actor(name: try Username("dave"), groups: ["sre"])
let draft = try RequestDraft(
    target: .deploy(try DeployTarget(service: "payments-api", environment: "production", commit: try ArtifactReference("0123456789abcdef0123456789abcdef01234567"))),
    reason: "Benchmark the durable path", ticket: "CHG-1"
)
let clock = SystemClock()
let commits = Double(requests * 2)

// Both clients' pools are driven for the whole run; cancelled once the figures are printed.
let pools = Task {
    await withDiscardingTaskGroup { group in
        group.addTask { await store.run() }
        group.addTask { await raw.run() }
    }
}
try await store.migrate()
// Read off the baseline's own connection, so the comparison's premise is printed, not assumed.
let (synchronousCommit, fsync) = try await raw.withConnection { connection in
    try await connection.query("CREATE TABLE bench_raw_inserts (id BIGSERIAL PRIMARY KEY, payload TEXT NOT NULL)", logger: logger)
    var settings: [String] = []
    for setting in ["synchronous_commit", "fsync"] {
        for try await value in try await connection.query("SELECT current_setting(\(setting))", logger: logger).decode(String.self) {
            settings.append(value)
        }
    }
    return (settings.first ?? "unknown", settings.last ?? "unknown")
}

var ratios: [Double] = []
for round in 1...rounds {
    let storeSeconds = try await seconds {
        for _ in 0..<requests {
            let now = clock.now()
            let request = AccessRequest(
                id: RequestID.random(), requester: requester, draft: draft, createdAt: now, ruleName: "bench",
                requirement: requirement, pendingExpiresAt: now.addingTimeInterval(3600), accessDurationSeconds: 3600
            )
            _ = try await store.createRequest(RequestRules.create(request))
            _ = try await store.update(request.id, at: now) { try RequestRules.apply(.approve(approver, method: .session), to: $0, at: now) }
        }
    }
    let rawSeconds = try await seconds {
        try await raw.withConnection { connection in
            for index in 0..<(requests * 2) {
                _ = try await connection.execute(RawInsert(payload: "row \(index) of the raw baseline"), logger: logger)
            }
        }
    }
    let storeRate = commits / storeSeconds
    let rawRate = commits / rawSeconds
    ratios.append(storeRate / rawRate)
    print(String(
        format: "round=%d postgres_store_commits_per_second=%.0f raw_prepared_insert_commits_per_second=%.0f ratio=%.2f commits=%d synchronous_commit=%@ fsync=%@",
        round, storeRate, rawRate, storeRate / rawRate, requests * 2, synchronousCommit, fsync
    ))
}
print(String(format: "postgres_median_ratio=%.2f goal=0.50 rounds=%d", ratios.sorted()[ratios.count / 2], rounds))
pools.cancel()
