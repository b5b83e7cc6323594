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
                // v2 knew no break-glass: the fixtures never hand it one.
                case .ssh(let ssh), .breakGlass(let ssh): columns = ["host": ssh.host, "login": ssh.login, "duration_seconds": ssh.durationSeconds]
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

    /// The challenges a v12 database holds, one of each purpose it knew.
    private static func challenges(for request: AccessRequest, at now: Date) throws -> [CeremonyChallenge] {
        var generator = SystemRandomNumberGenerator()
        let bob = try Fixtures.user("bob")
        return [
            CeremonyChallenge(id: String(repeating: "r", count: 32), user: bob, purpose: .registration(challenge: [UInt8](repeating: 1, count: 32)), issuedAt: now),
            CeremonyChallenge(
                id: String(repeating: "k", count: 32), user: bob, purpose: .keyRemoval(challenge: [UInt8](repeating: 2, count: 32), credentialID: [9, 9]),
                issuedAt: now, usedAt: now
            ),
            CeremonyChallenge(
                id: String(repeating: "a", count: 32), user: bob,
                purpose: .approval(ApprovalChallenge.issue(for: request, approver: bob, at: now, using: &generator)), issuedAt: now
            ),
        ]
    }

    @Test("v12 requests and ceremony challenges are kept when grants and statement challenges arrive (v13)")
    func breakGlass() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/gateway.sqlite"
            let now = ManualClock().now()
            let deploy = try Fixtures.deploy(at: now)
            let challenges = try Self.challenges(for: deploy, at: now)
            let queue = try DatabaseQueue(path: path)
            try StoreSchema.migrator.migrate(queue, upTo: "v12-outbox")
            try await queue.write { db in
                try db.execute(sql: "PRAGMA application_id = \(StoreSchema.applicationID)")
                try RequestRows.insert(deploy, in: db)
                for challenge in challenges { try KeyRows.insert(challenge, in: db) }
            }
            try queue.close()

            let store = try SQLiteStore.open(path: path)
            #expect(try await store.request(deploy.id) == deploy)
            for challenge in challenges {
                #expect(try await store.database.read { db in try KeyRows.challenge(challenge.id, in: db) } == challenge)
            }
            let indexes = try await store.database.read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'ceremony_challenges' AND sql IS NOT NULL")
            }
            #expect(indexes == ["ceremony_challenges_by_user"])
            // What v12 could not hold: a grant, and a statement's challenge about it.
            let grant = try await store.createRequest(try Fixtures.breakGlass(at: now))
            #expect(try await store.request(grant.id) == grant)
            var generator = SystemRandomNumberGenerator()
            let erin = try Fixtures.user("erin")
            let statement = try StatementChallenge.issue(
                .breakGlassReview, by: erin, about: grant.id, digest: BreakGlassReview.statementDigest(of: grant, verdict: .justified, notes: ""),
                at: now, using: &generator
            )
            let review = CeremonyChallenge(id: String(repeating: "s", count: 32), user: erin, purpose: .statement(statement), issuedAt: now)
            try await store.openChallenge(review, at: now)
            #expect(try await store.database.read { db in try KeyRows.challenge(review.id, in: db) } == review)
            // The rebuilt table still refuses the shapes no purpose has.
            await #expect(throws: (any Error).self) {
                try await store.database.write { db in
                    try db.execute(sql: """
                        INSERT INTO ceremony_challenges (id, purpose, username, challenge, issued_at)
                        VALUES ('\(String(repeating: "x", count: 32))', 'break_glass', 'bob', zeroblob(32), 1)
                        """)
                }
            }
        }
    }
}
