import CountersignCore
import CountersignStore
import Foundation
import GRDB

/// Durable commits per second through the store (request create + approve, each one commit with
/// its audit append) beside a raw SQLite INSERT loop with the same journal and synchronous mode,
/// in the same run on the same disk. Usage: countersign-bench-store [commits] [full|normal]
let arguments = CommandLine.arguments
let requests = max(50, Int(arguments.dropFirst().first ?? "") ?? 1000) / 2
let durability = SQLiteDurability(rawValue: arguments.dropFirst(2).first ?? "full") ?? .full
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }

func seconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

// The store: the real schema, indexes, triggers and audit chain.
let store = try SQLiteStore.open(path: directory.appendingPathComponent("store.sqlite").path, durability: durability)
let requirement = try ApprovalRequirement(clauses: [ApprovalClause(count: 1, group: "sre")], hardwareKeyRequired: false)
let requester = try Username("alice")
let approver = Actor(name: try Username("dave"), groups: ["sre"])
let draft = try RequestDraft(
    target: .deploy(try DeployTarget(service: "payments-api", environment: "production", commit: try ArtifactReference("0123456789abcdef0123456789abcdef01234567"))),
    reason: "Benchmark the durable path", ticket: "CHG-1"
)
let clock = SystemClock()
let storeSeconds = try await seconds {
    for _ in 0..<requests {
        let now = clock.now()
        let request = AccessRequest(
            id: RequestID.random(), requester: requester, draft: draft, createdAt: now, ruleName: "bench",
            requirement: requirement, pendingExpiresAt: now.addingTimeInterval(3600), accessDurationSeconds: 3600
        )
        _ = try await store.createRequest(request)
        _ = try await store.update(request.id, at: now) { try RequestRules.apply(.approve(approver, method: .session), to: $0, at: now) }
    }
}

// Raw SQLite: one INSERT per transaction, same WAL and synchronous mode, same number of commits.
var configuration = Configuration()
configuration.prepareDatabase { db in
    try db.execute(sql: "PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
}
let raw = try DatabasePool(path: directory.appendingPathComponent("raw.sqlite").path, configuration: configuration)
try raw.write { db in try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)") }
let rawSeconds = try await seconds {
    for index in 0..<(requests * 2) {
        try await raw.write { db in try db.execute(sql: "INSERT INTO t (payload) VALUES (?)", arguments: ["row \(index) of the raw baseline"]) }
    }
}

let commits = Double(requests * 2)
let storeRate = commits / storeSeconds
let rawRate = commits / rawSeconds
print(String(format: "store_commits_per_second=%.0f raw_insert_commits_per_second=%.0f ratio=%.2f commits=%d synchronous=%@", storeRate, rawRate, storeRate / rawRate, requests * 2, durability.rawValue))
