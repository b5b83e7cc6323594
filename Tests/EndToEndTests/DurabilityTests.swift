#if canImport(Glibc)
import Glibc
#endif
import AsyncHTTPClient
import CountersignAPI
import Foundation
import GRDB
import NIOCore
import Testing

@Suite("Durability and tamper evidence with a real daemon and its SQLite file")
struct DurabilityTests {
    static func login(_ user: String, at url: String) async throws -> String {
        let response = try await post(url + "/v1/login", LoginBody(username: user, password: "\(user)-demo-pw"), token: nil)
        return try APICoding.makeDecoder().decode(LoginResponse.self, from: response).token
    }

    static func post(_ url: String, _ body: some Encodable, token: String?) async throws -> Data {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.body = .bytes(ByteBuffer(bytes: try APICoding.makeEncoder().encode(body)))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let data = Data(try await response.body.collect(upTo: 1 << 20).readableBytesView)
        guard response.status.code < 300 else { throw ProcessFailure("HTTP \(response.status.code): \(String(decoding: data, as: UTF8.self))") }
        return data
    }

    static func get(_ url: String, token: String) async throws -> (status: UInt, body: Data) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return (response.status.code, Data(try await response.body.collect(upTo: 1 << 20).readableBytesView))
    }

    @Test("Every request acknowledged before a SIGKILL is present after restart, and the audit chain verifies")
    func killDuringWrites() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let daemon = try await Daemon.start(scratch: scratch)
        let token = try await Self.login("alice", at: daemon.url)
        let acknowledged = LockedStrings()
        let body = CreateRequestBody(
            kind: "deploy", service: "payments-api", environment: "production", commit: CLIWalkthroughTests.commit,
            reason: "Roll out the settlement rounding fix", ticket: "CHG-1042"
        )
        let interrupted = LockedStrings()
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    // Bounded: each writer stops at its first failure (the kill) or after 500 writes.
                    for _ in 0..<500 {
                        guard let data = try? await Self.post(daemon.url + "/v1/requests", body, token: token),
                              let view = try? APICoding.makeDecoder().decode(RequestView.self, from: data) else {
                            interrupted.append("writer \(writer)")
                            return
                        }
                        acknowledged.append(view.id)
                    }
                }
            }
            group.addTask {
                // Bounded too: if the writers stall, the kill comes at the deadline and the
                // expectations below fail instead of the test hanging.
                let deadline = ContinuousClock.now + .seconds(60)
                while acknowledged.all.count < 40, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
                _ = try? await daemon.stop(signal: SIGKILL)
            }
        }
        let written = acknowledged.all
        #expect(written.count >= 40, "the writers acknowledged only \(written.count) requests before the deadline")
        // The kill must land while writes are in flight, or the test proves nothing about them.
        #expect(!interrupted.all.isEmpty, "every writer finished its 500 writes before the kill")

        let restarted = try await Daemon.start(scratch: scratch)
        let erin = try await Self.login("erin", at: restarted.url)
        for id in written {
            #expect(try await Self.get(restarted.url + "/v1/requests/\(id)", token: erin).status == 200, "request \(id) was acknowledged but is gone")
        }
        let verification = try APICoding.makeDecoder().decode(AuditVerificationView.self, from: try await Self.get(restarted.url + "/v1/audit/verify", token: erin).body)
        #expect(verification.ok)
        #expect(verification.verifiedEvents >= Int64(written.count))
        try await restarted.stop()
    }

    @Test("A second countersignd on the same data directory refuses to start, naming the first one's pid; after the first is killed, one starts")
    func oneDaemonPerDatabase() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let first = try await Daemon.start(scratch: scratch)
        let database = scratch.path("data") + "/countersign.sqlite"
        do {
            let second = try await Daemon.start(scratch: scratch)
            _ = try await second.stop()
            Issue.record("a second countersignd started on \(database)")
        } catch let failure as ProcessFailure {
            #expect(failure.description.contains("cannot start: the database is unusable: another countersignd (pid \(first.child.pid)) is running on \(database)"), "\(failure)")
        }
        #expect(try await Self.get(first.url + "/healthz", token: "").status == 200, "the first one is untouched")
        // The kernel drops a killed process's lock: no stale lock file keeps the next one out.
        try await first.stop(signal: SIGKILL)
        let next = try await Daemon.start(scratch: scratch)
        try await next.stop()
    }

    @Test("SIGTERM shuts down cleanly with a final signed checkpoint; audit verify names the first edited or deleted row")
    func tamperIsDetected() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let daemon = try await Daemon.start(scratch: scratch)
        let alice = try await daemon.loggedInCLI("alice", scratch: scratch)
        for _ in 0..<3 { _ = try await CLIWalkthroughTests.fileDeploy(alice) }
        #expect(try await daemon.stop(signal: SIGTERM) == 0)

        let database = daemon.dataDirectory + "/countersign.sqlite"
        let publicKey = daemon.dataDirectory + "/checkpoint-signing.pub"
        let intact = try await alice.run("audit", "verify", "--db", database, "--json")
        #expect(intact.status == 0, "\(intact.standardError)")
        let intactView = try APICoding.makeDecoder().decode(AuditVerificationView.self, from: Data(intact.standardOutput.utf8))
        #expect(intactView.checkpoints >= 1)

        // Two independent copies through the CLI's online backup, one edited, one with a row deleted.
        let edited = scratch.path("edited.sqlite")
        let deleted = scratch.path("deleted.sqlite")
        try await alice.run("admin", "backup", "--db", database, edited).requireSuccess()
        try await alice.run("admin", "backup", "--db", database, deleted).requireSuccess()
        #expect(try await alice.run("admin", "backup", "--db", database, edited).status != 0)

        try Self.tamper(edited, "UPDATE audit_events SET details = replace(details, 'CHG-1042', 'CHG-9999') WHERE sequence = 4")
        let afterEdit = try await alice.run("audit", "verify", "--db", edited, "--public-key", publicKey)
        #expect(afterEdit.status == 1)
        #expect(afterEdit.standardError.contains("first bad sequence number 4"), "\(afterEdit.standardError)")

        try Self.tamper(deleted, "DELETE FROM audit_events WHERE sequence = 5")
        let afterDelete = try await alice.run("audit", "verify", "--db", deleted, "--public-key", publicKey)
        #expect(afterDelete.status == 1)
        #expect(afterDelete.standardError.contains("first bad sequence number 5"), "\(afterDelete.standardError)")

        let export = try await alice.run("audit", "export", "--db", database, "--format", "jsonl")
        let lines = export.standardOutput.split(separator: "\n")
        #expect(lines.count == intactView.verifiedEvents)
        for line in lines { _ = try APICoding.makeDecoder().decode(AuditEventView.self, from: Data(line.utf8)) }
    }

    @Test("Deleting the tail of the log after a checkpoint is detected as truncation")
    func truncationIsDetected() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let daemon = try await Daemon.start(scratch: scratch)
        let alice = try await daemon.loggedInCLI("alice", scratch: scratch)
        _ = try await CLIWalkthroughTests.fileDeploy(alice)
        #expect(try await daemon.stop(signal: SIGTERM) == 0)
        let database = daemon.dataDirectory + "/countersign.sqlite"
        let head = try await DatabaseQueue(path: database).read { db in try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM audit_events") } ?? 0
        try Self.tamper(database, "DELETE FROM audit_events WHERE sequence >= \(head - 1)")
        let result = try await alice.run("audit", "verify", "--db", database)
        #expect(result.status == 1)
        #expect(result.standardError.contains("checkpoint"), "\(result.standardError)")
    }

    @Test("SIGHUP reloads the policy directory in a running daemon")
    func sighupReloads() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let policies = scratch.path("policies")
        try FileManager.default.copyItem(atPath: Binaries.repositoryRoot.appendingPathComponent("policies").path, toPath: policies)
        let daemon = try await Daemon.start(scratch: scratch, policies: policies)
        let alice = try await daemon.loggedInCLI("alice", scratch: scratch)
        let sandbox = ["request", "deploy", "--service", "web", "--environment", "sandbox", "--commit", CLIWalkthroughTests.commit, "--reason", "Try the new build", "--ticket", "CHG-1"]
        #expect(try await alice.run(sandbox).status == 1)
        try "rules:\n  - name: sandbox-deploy\n    kind: deploy\n    match: {environment: sandbox}\n    requesters: [\"*\"]\n    approvals: [{count: 1, group: engineering}]\n    hardware_key: false\n"
            .write(toFile: policies + "/zz-sandbox.yaml", atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        var filed = false
        for _ in 0..<50 where !filed {
            filed = try await alice.run(sandbox).status == 0
            if !filed { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(filed)
    }

    static func tamper(_ path: String, _ sql: String) throws {
        let database = try DatabaseQueue(path: path)
        try database.write { db in
            for trigger in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'") {
                try db.execute(sql: "DROP TRIGGER \(trigger)")
            }
            try db.execute(sql: sql)
        }
    }
}

/// Strings written by several writer tasks at once (acknowledged ids, interrupted writers).
final class LockedStrings: @unchecked Sendable {
    private let lock = NSLock()
    private var strings: [String] = []

    func append(_ string: String) { lock.withLock { strings.append(string) } }
    var all: [String] { lock.withLock { strings } }
}
