@testable import CountersignSQLite
import CountersignStore
import CountersignCore
import Foundation
import GRDB
import Testing

@Suite("Migrating a database written by an earlier version")
struct MigrationTests {
    /// A database at schema v2, as the previous release left it, with a deploy and an ssh request
    /// (one approved) in its per-kind columns.
    private func versionTwo(at path: String, _ requests: [AccessRequest]) throws {
        let queue = try DatabaseQueue(path: path)
        try StoreSchema.migrator.migrate(queue, upTo: "v2-hardware-keys")
        try queue.write { db in
            for request in requests {
                var columns: [String: (any DatabaseValueConvertible)?] = [:]
                switch request.target {
                case .deploy(let deploy): columns = ["service": deploy.service, "environment": deploy.environment, "commit_ref": deploy.commit.description]
                case .ssh(let ssh): columns = ["host": ssh.host, "login": ssh.login, "duration_seconds": ssh.durationSeconds]
                }
                try db.execute(
                    sql: """
                        INSERT INTO requests (id, kind, requester, service, environment, commit_ref, host, login, duration_seconds,
                            reason, ticket, created_at, content_digest, rule_name, requirement, pending_expires_at,
                            access_duration_seconds, state, updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)
                        """,
                    arguments: [
                        request.id.rawValue, request.kind.rawValue, request.requester.rawValue, columns["service"] ?? nil,
                        columns["environment"] ?? nil, columns["commit_ref"] ?? nil, columns["host"] ?? nil, columns["login"] ?? nil,
                        columns["duration_seconds"] ?? nil, request.reason, request.ticket, request.createdAt.millisecondsSinceEpoch,
                        Data(request.canonicalContent.sha256), request.ruleName, try StoredJSON.encode(StoredRequirement(request.requirement)),
                        request.pendingExpiresAt.millisecondsSinceEpoch, request.accessDurationSeconds, request.updatedAt.millisecondsSinceEpoch,
                    ]
                )
            }
            try db.execute(sql: """
                INSERT INTO approvals (request_id, position, approver, approver_groups, approved_at, method)
                VALUES (?, 0, 'dave', '["dba"]', ?, 'session')
                """, arguments: [requests[1].id.rawValue, requests[1].createdAt.millisecondsSinceEpoch])
        }
    }

    @Test("v2 requests keep their content and digest when targets become canonical JSON (v3)")
    func openTargets() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/gateway.sqlite"
            let now = ManualClock().now()
            let deploy = try Fixtures.deploy(at: now)
            let ssh = try Fixtures.ssh(at: now.addingTimeInterval(60))
            try versionTwo(at: path, [deploy, ssh])
            try await DatabaseQueue(path: path).write { db in try db.execute(sql: "PRAGMA application_id = \(StoreSchema.applicationID)") }

            let store = try SQLiteStore.open(path: path)
            #expect(try await store.request(deploy.id) == deploy)
            let migratedSSH = try #require(try await store.request(ssh.id))
            #expect(migratedSSH.target == ssh.target)
            #expect(migratedSSH.contentDigest == ssh.contentDigest)
            #expect(migratedSSH.approvals.map(\.approver.rawValue) == ["dave"])
            // Searching reads the target's values, whatever the kind, and never its field names.
            #expect(try await store.requests(RequestQuery(search: "db-1.prod")).map(\.id) == [ssh.id])
            #expect(try await store.requests(RequestQuery(search: "host")).isEmpty)
            #expect(try await store.requests(RequestQuery(search: "0123456789abcdef")).map(\.id) == [deploy.id])
        }
    }
}
