import CountersignStore
import CountersignCore
import Foundation
import GRDB

/// Requests and their approvals as rows of `requests` and `approvals`; what the columns mean, and
/// how they become domain values again, is `StoredRequest` and `StoredApproval`, shared by every
/// backend.
enum RequestRows {
    static let columns = """
        id, kind, requester, target, reason, ticket,
        created_at, content_digest, rule_name, requirement, pending_expires_at, access_duration_seconds,
        state, updated_at, access_expires_at, denied_by, denial_reason, denied_at, closed_by, close_reason
        """

    static func insert(_ request: AccessRequest, in db: Database) throws {
        let stored = try StoredRequest(request)
        try db.executeCached(
            sql: """
                INSERT INTO requests (id, kind, requester, target, reason, ticket, created_at, content_digest, rule_name,
                    requirement, pending_expires_at, access_duration_seconds, state, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                stored.id, stored.kind, stored.requester, stored.target, stored.reason, stored.ticket, stored.createdAt,
                Data(stored.contentDigest), stored.ruleName, stored.requirement, stored.pendingExpiresAt,
                stored.accessDurationSeconds, stored.state, stored.updatedAt,
            ]
        )
        try persistProgress(of: request, from: nil, in: db)
    }

    /// Writes what may change after creation. Approvals are only ever added (`StoredApproval.added`).
    static func persistProgress(of request: AccessRequest, from previous: AccessRequest?, in db: Database) throws {
        let added = try StoredApproval.added(to: request, from: previous)
        if previous != nil {
            let stored = try StoredRequest(request)
            try db.executeCached(
                sql: """
                    UPDATE requests SET state = ?, updated_at = ?, access_expires_at = ?, denied_by = ?,
                        denial_reason = ?, denied_at = ?, closed_by = ?, close_reason = ?
                    WHERE id = ?
                    """,
                arguments: [
                    stored.state, stored.updatedAt, stored.accessExpiresAt, stored.deniedBy, stored.denialReason,
                    stored.deniedAt, stored.closedBy, stored.closeReason, stored.id,
                ]
            )
        }
        for approval in added {
            try db.executeCached(
                sql: """
                    INSERT INTO approvals (request_id, position, approver, approver_groups, approved_at, method)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    approval.requestID, approval.position, approval.approver, approval.approverGroups, approval.approvedAt,
                    approval.method,
                ]
            )
            if let evidence = approval.evidence {
                try db.executeCached(
                    sql: """
                        INSERT INTO approval_evidence (request_id, position, credential_id, public_key, authenticator_data,
                            client_data_json, signature, nonce)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        approval.requestID, approval.position, Data(evidence.credentialID), Data(evidence.publicKey),
                        Data(evidence.authenticatorData), Data(evidence.clientDataJSON), Data(evidence.signature), Data(evidence.nonce),
                    ]
                )
            }
        }
    }

    static func exists(_ id: RequestID, in db: Database) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM requests WHERE id = ?)"), arguments: [id.rawValue]) ?? false
    }

    static func fetch(_ id: RequestID, in db: Database) throws -> AccessRequest? {
        try fetchAll(db.cachedStatement(sql: "SELECT \(columns) FROM requests WHERE id = ?"), arguments: [id.rawValue], in: db).first
    }

    /// Requests selected by `statement` (which must select `columns`), with their approvals, in
    /// the order the statement returns them.
    static func fetchAll(_ statement: Statement, arguments: StatementArguments, in db: Database) throws -> [AccessRequest] {
        let rows = try Row.fetchAll(statement, arguments: arguments)
        guard !rows.isEmpty else { return [] }
        let ids = rows.compactMap { try? $0.decode(String.self, forColumn: "id") }
        let approvals = try StoredApproval.restoreByRequest(ids.count == 1 ? approvals(of: ids[0], in: db) : approvals(of: ids, in: db))
        return try rows.map { row in
            let stored = try columns(of: row)
            return try stored.restore(approvals: approvals[stored.id] ?? [])
        }
    }

    /// Approvals with their evidence, if any (a hardware-key approval has exactly one row of it).
    private static let approvalsWithEvidence = """
        SELECT a.request_id, a.position, a.approver, a.approver_groups, a.approved_at, a.method,
            e.credential_id, e.public_key, e.authenticator_data, e.client_data_json, e.signature, e.nonce
        FROM approvals a LEFT JOIN approval_evidence e ON e.request_id = a.request_id AND e.position = a.position
        """

    /// The approvals of one request: what every decision reads, so a plain key lookup.
    private static func approvals(of id: String, in db: Database) throws -> [StoredApproval] {
        try Row.fetchAll(
            db.cachedStatement(sql: "\(approvalsWithEvidence) WHERE a.request_id = ? ORDER BY a.position"),
            arguments: [id]
        ).map(approvalColumns)
    }

    private static func approvals(of ids: [String], in db: Database) throws -> [StoredApproval] {
        try Row.fetchAll(
            db.cachedStatement(sql: """
                \(approvalsWithEvidence)
                WHERE a.request_id IN (SELECT value FROM json_each(?)) ORDER BY a.request_id, a.position
                """),
            arguments: [StoredJSON.encode(ids)]
        ).map(approvalColumns)
    }

    private static func approvalColumns(_ row: Row) throws(StoreError) -> StoredApproval {
        let requestID = (try? row.decode(String.self, forColumn: "request_id")) ?? "?"
        let position = (try? row.decode(Int64.self, forColumn: "position")).map(String.init) ?? "?"
        let stored = StoredRow(row: row, table: "approvals", key: "\(requestID)/\(position)")
        let evidence = try stored.optionalBlob("credential_id").map { credentialID throws(StoreError) in
            StoredApproval.Evidence(
                credentialID: credentialID, publicKey: try stored.blob("public_key"),
                authenticatorData: try stored.blob("authenticator_data"), clientDataJSON: try stored.blob("client_data_json"),
                signature: try stored.blob("signature"), nonce: try stored.blob("nonce")
            )
        }
        return StoredApproval(
            requestID: try stored.value("request_id"), position: try stored.value("position"), approver: try stored.value("approver"),
            approverGroups: try stored.value("approver_groups"), approvedAt: try stored.value("approved_at"),
            method: try stored.value("method"), evidence: evidence
        )
    }

    private static func columns(of row: Row) throws(StoreError) -> StoredRequest {
        let stored = StoredRow(row: row, table: "requests", key: (try? row.decode(String.self, forColumn: "id")) ?? "?")
        return StoredRequest(
            id: try stored.value("id"), kind: try stored.value("kind"), requester: try stored.value("requester"),
            target: try stored.value("target"), reason: try stored.value("reason"), ticket: try stored.value("ticket"),
            createdAt: try stored.value("created_at"), contentDigest: try stored.blob("content_digest"),
            ruleName: try stored.value("rule_name"), requirement: try stored.value("requirement"),
            pendingExpiresAt: try stored.value("pending_expires_at"), accessDurationSeconds: try stored.value("access_duration_seconds"),
            state: try stored.value("state"), updatedAt: try stored.value("updated_at"),
            accessExpiresAt: try stored.value("access_expires_at"), deniedBy: try stored.value("denied_by"),
            denialReason: try stored.value("denial_reason"), deniedAt: try stored.value("denied_at"),
            closedBy: try stored.value("closed_by"), closeReason: try stored.value("close_reason")
        )
    }
}
