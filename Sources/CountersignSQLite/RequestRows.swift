import CountersignStore
import CountersignCore
import Foundation
import GRDB

/// Requests and their approvals as rows of `requests` and `approvals` (and a grant's terms in
/// `break_glass_grants`, `BreakGlassRows`); what the columns mean, and how they become domain
/// values again, is `StoredRequest`, `StoredApproval` and `StoredBreakGlassGrant`, shared by every
/// backend.
enum RequestRows {
    static let columns = """
        id, kind, requester, target, reason, ticket,
        created_at, content_digest, rule_name, requirement, pending_expires_at, access_duration_seconds,
        state, updated_at, access_expires_at, denied_by, denial_reason, denied_at, closed_by, close_reason, certificate_terms,
        single_use, rollout_started_at, rollout_started_by
        """

    /// `columns` named by table, for statements that join requests with another table.
    static let qualifiedColumns = columns.split(separator: ",")
        .map { "requests." + $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        .joined(separator: ", ")

    /// Inserts a new request as it is given, in whatever state its rules made it (a break-glass
    /// grant is approved from birth), with its grant's row when it is one.
    static func insert(_ request: AccessRequest, in db: Database) throws {
        let stored = try StoredRequest(request)
        let grant = try StoredBreakGlassGrant.created(request)
        try db.executeCached(
            sql: "INSERT INTO requests (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [
                stored.id, stored.kind, stored.requester, stored.target, stored.reason, stored.ticket, stored.createdAt,
                Data(stored.contentDigest), stored.ruleName, stored.requirement, stored.pendingExpiresAt,
                stored.accessDurationSeconds, stored.state, stored.updatedAt, stored.accessExpiresAt, stored.deniedBy,
                stored.denialReason, stored.deniedAt, stored.closedBy, stored.closeReason, stored.certificateTerms, stored.singleUse,
                stored.rolloutStartedAt, stored.rolloutStartedBy,
            ]
        )
        if let grant {
            try BreakGlassRows.insert(grant, in: db)
        }
        try persistProgress(of: request, from: nil, in: db)
    }

    /// Writes what may change after creation. Approvals are only ever added (`StoredApproval.added`);
    /// a grant's review and escalation are made once (`StoredBreakGlassGrant.changed`).
    static func persistProgress(of request: AccessRequest, from previous: AccessRequest?, in db: Database) throws {
        let added = try StoredApproval.added(to: request, from: previous)
        if let previous {
            let grant = try StoredBreakGlassGrant.changed(request, from: previous)
            let stored = try StoredRequest(request)
            try db.executeCached(
                sql: """
                    UPDATE requests SET state = ?, updated_at = ?, access_expires_at = ?, denied_by = ?,
                        denial_reason = ?, denied_at = ?, closed_by = ?, close_reason = ?, rollout_started_at = ?,
                        rollout_started_by = ?
                    WHERE id = ?
                    """,
                arguments: [
                    stored.state, stored.updatedAt, stored.accessExpiresAt, stored.deniedBy, stored.denialReason,
                    stored.deniedAt, stored.closedBy, stored.closeReason, stored.rolloutStartedAt, stored.rolloutStartedBy, stored.id,
                ]
            )
            if let grant {
                try BreakGlassRows.persistProgress(of: grant, in: db)
            }
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

    /// Requests selected by `statement` (which must select `columns`, in their order), with their
    /// approvals, in the order the statement returns them. Columns are read by position straight
    /// from the statement, without a copy of each row.
    static func fetchAll(_ statement: Statement, arguments: StatementArguments, in db: Database) throws -> [AccessRequest] {
        var stored: [StoredRequest] = []
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        while let row = try rows.next() {
            stored.append(try columns(of: row))
        }
        guard let first = stored.first else { return [] }
        let approvals = try StoredApproval.restoreByRequest(
            stored.count == 1 ? approvals(of: first.id, in: db) : approvals(of: stored.map(\.id), in: db)
        )
        // Only grants have a row there: a page without one costs no further query.
        let grantIDs = stored.filter { $0.kind == RequestKind.breakGlass.rawValue }.map(\.id)
        let grants = grantIDs.isEmpty ? [:] : StoredBreakGlassGrant.byRequest(try BreakGlassRows.grants(of: grantIDs, in: db))
        return try stored.map { request throws(StoreError) in
            try request.restore(approvals: approvals[request.id] ?? [], grant: grants[request.id])
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
        try approvals(db.cachedStatement(sql: "\(approvalsWithEvidence) WHERE a.request_id = ? ORDER BY a.position"), arguments: [id])
    }

    private static func approvals(of ids: [String], in db: Database) throws -> [StoredApproval] {
        try approvals(
            db.cachedStatement(sql: """
                \(approvalsWithEvidence)
                WHERE a.request_id IN (SELECT value FROM json_each(?)) ORDER BY a.request_id, a.position
                """),
            arguments: [StoredJSON.encode(ids)]
        )
    }

    private static func approvals(_ statement: Statement, arguments: StatementArguments) throws -> [StoredApproval] {
        var approvals: [StoredApproval] = []
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        while let row = try rows.next() {
            approvals.append(try approvalColumns(row))
        }
        return approvals
    }

    /// By position in `approvalsWithEvidence`.
    private static func approvalColumns(_ row: Row) throws(StoreError) -> StoredApproval {
        guard row.count == 12 else { throw StoreError.corruptRow(table: "approvals", key: "?", "\(row.count) columns, not 12") }
        let requestID = (try? row.decode(String.self, atIndex: 0)) ?? "?"
        let position = (try? row.decode(Int64.self, atIndex: 1)).map(String.init) ?? "?"
        let stored = StoredRow(row: row, table: "approvals", key: "\(requestID)/\(position)")
        let evidence = try stored.optionalBlob(at: 6, "credential_id").map { credentialID throws(StoreError) in
            StoredApproval.Evidence(
                credentialID: credentialID, publicKey: try stored.blob(at: 7, "public_key"),
                authenticatorData: try stored.blob(at: 8, "authenticator_data"),
                clientDataJSON: try stored.blob(at: 9, "client_data_json"),
                signature: try stored.blob(at: 10, "signature"), nonce: try stored.blob(at: 11, "nonce")
            )
        }
        return StoredApproval(
            requestID: try stored.value(at: 0, "request_id"), position: try stored.value(at: 1, "position"),
            approver: try stored.value(at: 2, "approver"), approverGroups: try stored.value(at: 3, "approver_groups"),
            approvedAt: try stored.value(at: 4, "approved_at"), method: try stored.value(at: 5, "method"), evidence: evidence
        )
    }

    /// By position in `columns`.
    private static func columns(of row: Row) throws(StoreError) -> StoredRequest {
        guard row.count == 24 else { throw StoreError.corruptRow(table: "requests", key: "?", "\(row.count) columns, not 24") }
        let id = try? row.decode(String.self, atIndex: 0)
        let stored = StoredRow(row: row, table: "requests", key: id ?? "?")
        guard let id else { throw stored.corrupt("id is missing or not of its type") }
        return StoredRequest(
            id: id, kind: try stored.value(at: 1, "kind"), requester: try stored.value(at: 2, "requester"),
            target: try stored.value(at: 3, "target"), reason: try stored.value(at: 4, "reason"),
            ticket: try stored.value(at: 5, "ticket"), createdAt: try stored.value(at: 6, "created_at"),
            contentDigest: try stored.blob(at: 7, "content_digest"), ruleName: try stored.value(at: 8, "rule_name"),
            requirement: try stored.value(at: 9, "requirement"), pendingExpiresAt: try stored.value(at: 10, "pending_expires_at"),
            accessDurationSeconds: try stored.value(at: 11, "access_duration_seconds"), state: try stored.value(at: 12, "state"),
            updatedAt: try stored.value(at: 13, "updated_at"), accessExpiresAt: try stored.optionalValue(at: 14, "access_expires_at"),
            deniedBy: try stored.optionalValue(at: 15, "denied_by"), denialReason: try stored.optionalValue(at: 16, "denial_reason"),
            deniedAt: try stored.optionalValue(at: 17, "denied_at"), closedBy: try stored.optionalValue(at: 18, "closed_by"),
            closeReason: try stored.optionalValue(at: 19, "close_reason"), certificateTerms: try stored.optionalValue(at: 20, "certificate_terms"),
            singleUse: try stored.value(at: 21, "single_use"), rolloutStartedAt: try stored.optionalValue(at: 22, "rollout_started_at"),
            rolloutStartedBy: try stored.optionalValue(at: 23, "rollout_started_by")
        )
    }
}
