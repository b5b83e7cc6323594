import CountersignCore
import CountersignSQLite
import CountersignStore
import Foundation
import GRDB

/// Durable commits per second through the store (request create + approve, each one commit with
/// its audit append) beside a raw SQLite INSERT loop with the same journal and synchronous mode,
/// on the same disk. The two alternate in rounds, so a disk or CPU hiccup lands on both, and the
/// median ratio is reported. Usage: countersign-bench-store [commits per round] [full|normal] [rounds]
let arguments = CommandLine.arguments
let requests = max(50, Int(arguments.dropFirst().first ?? "") ?? 1000) / 2
let durability = SQLiteDurability(rawValue: arguments.dropFirst(2).first ?? "full") ?? .full
let rounds = max(1, Int(arguments.dropFirst(3).first ?? "") ?? 5)
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

// Raw SQLite: one INSERT per transaction. The mode is set once the pool is open: GRDB switches a
// new WAL writer to synchronous NORMAL, so a setting made in prepareDatabase would be undone.
let raw = try DatabasePool(path: directory.appendingPathComponent("raw.sqlite").path)
try raw.writeWithoutTransaction { db in
    try db.execute(sql: "PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
    try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
}
// 2 is FULL, 1 NORMAL: printed so the comparison's premise is read off the connection itself.
let rawSynchronous = try raw.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }

let commits = Double(requests * 2)
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
        for index in 0..<(requests * 2) {
            try await raw.write { db in try db.execute(sql: "INSERT INTO t (payload) VALUES (?)", arguments: ["row \(index) of the raw baseline"]) }
        }
    }
    let storeRate = commits / storeSeconds
    let rawRate = commits / rawSeconds
    ratios.append(storeRate / rawRate)
    print(String(
        format: "round=%d store_commits_per_second=%.0f raw_insert_commits_per_second=%.0f ratio=%.2f commits=%d synchronous=%@ raw_pragma_synchronous=%d",
        round, storeRate, rawRate, storeRate / rawRate, requests * 2, durability.rawValue, rawSynchronous
    ))
}
print(String(format: "median_ratio=%.2f synchronous=%@ rounds=%d", ratios.sorted()[ratios.count / 2], durability.rawValue, rounds))
