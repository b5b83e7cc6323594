import CountersignCore
import CountersignStore
import Foundation
import Logging
import PostgresNIO

/// Requests and their approvals as rows of `requests`, `approvals` and `approval_evidence` (and a
/// grant's terms in `break_glass_grants`, `BreakGlassRows`); what the columns mean, and how they
/// become domain values again, is `StoredRequest`, `StoredApproval` and `StoredBreakGlassGrant`,
/// shared with SQLite.
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
    /// grant is approved from birth), with its grant's row when it is one; false when its id is
    /// taken. ON CONFLICT rather than a read first: two gateways creating the same id at once
    /// still see exactly one succeed.
    static func insert(_ request: AccessRequest, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let stored = try StoredRequest(request)
        let grant = try StoredBreakGlassGrant.created(request)
        let inserted = try await PostgresStore.count(connection.query("""
            INSERT INTO requests (\(unescaped: columns))
            VALUES (\(stored.id), \(stored.kind), \(stored.requester), \(stored.target), \(stored.reason), \(stored.ticket),
                \(stored.createdAt), \(Data(stored.contentDigest)), \(stored.ruleName), \(stored.requirement),
                \(stored.pendingExpiresAt), \(stored.accessDurationSeconds), \(stored.state), \(stored.updatedAt),
                \(stored.accessExpiresAt), \(stored.deniedBy), \(stored.denialReason), \(stored.deniedAt), \(stored.closedBy),
                \(stored.closeReason), \(stored.certificateTerms), \(stored.singleUse), \(stored.rolloutStartedAt), \(stored.rolloutStartedBy))
            ON CONFLICT (id) DO NOTHING RETURNING 1
            """, logger: logger))
        guard inserted == 1 else { return false }
        if let grant {
            try await BreakGlassRows.insert(grant, on: connection, logger: logger)
        }
        try await persistProgress(of: request, from: nil, on: connection, logger: logger)
        return true
    }

    /// Writes what may change after creation. Approvals are only ever added (`StoredApproval.added`);
    /// a grant's review and escalation are made once (`StoredBreakGlassGrant.changed`).
    static func persistProgress(
        of request: AccessRequest, from previous: AccessRequest?, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let added = try StoredApproval.added(to: request, from: previous)
        if let previous {
            let grant = try StoredBreakGlassGrant.changed(request, from: previous)
            let stored = try StoredRequest(request)
            try await connection.query("""
                UPDATE requests SET state = \(stored.state), updated_at = \(stored.updatedAt),
                    access_expires_at = \(stored.accessExpiresAt), denied_by = \(stored.deniedBy),
                    denial_reason = \(stored.denialReason), denied_at = \(stored.deniedAt), closed_by = \(stored.closedBy),
                    close_reason = \(stored.closeReason), rollout_started_at = \(stored.rolloutStartedAt),
                    rollout_started_by = \(stored.rolloutStartedBy)
                WHERE id = \(stored.id)
                """, logger: logger)
            if let grant {
                try await BreakGlassRows.persistProgress(of: grant, on: connection, logger: logger)
            }
        }
        for approval in added {
            try await connection.query("""
                INSERT INTO approvals (request_id, position, approver, approver_groups, approved_at, method)
                VALUES (\(approval.requestID), \(approval.position), \(approval.approver), \(approval.approverGroups),
                    \(approval.approvedAt), \(approval.method))
                """, logger: logger)
            if let evidence = approval.evidence {
                try await connection.query("""
                    INSERT INTO approval_evidence (request_id, position, credential_id, public_key, authenticator_data,
                        client_data_json, signature, nonce)
                    VALUES (\(approval.requestID), \(approval.position), \(Data(evidence.credentialID)), \(Data(evidence.publicKey)),
                        \(Data(evidence.authenticatorData)), \(Data(evidence.clientDataJSON)), \(Data(evidence.signature)),
                        \(Data(evidence.nonce)))
                    """, logger: logger)
            }
        }
    }

    /// The request, locked until the transaction ends when `forUpdate`: a decision then sees the
    /// committed state it changes, and a second gateway deciding on it waits for this one.
    static func fetch(_ id: RequestID, forUpdate: Bool, on connection: PostgresConnection, logger: Logger) async throws -> AccessRequest? {
        let query: PostgresQuery = forUpdate
            ? "SELECT \(unescaped: columns) FROM requests WHERE id = \(id.rawValue) FOR UPDATE"
            : "SELECT \(unescaped: columns) FROM requests WHERE id = \(id.rawValue)"
        return try await fetchAll(query, on: connection, logger: logger).first
    }

    /// Requests selected by `query` (which must select `columns`, in their order), with their
    /// approvals, in the order the query returns them.
    static func fetchAll(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [AccessRequest] {
        var stored: [StoredRequest] = []
        for try await row in try await connection.query(query, logger: logger) {
            stored.append(try columns(of: row))
        }
        guard !stored.isEmpty else { return [] }
        let approvals = try StoredApproval.restoreByRequest(try await approvals(of: stored.map(\.id), on: connection, logger: logger))
        // Only grants have a row there: a page without one costs no further query.
        let grantIDs = stored.filter { $0.kind == RequestKind.breakGlass.rawValue }.map(\.id)
        let grants = grantIDs.isEmpty ? [:] : StoredBreakGlassGrant.byRequest(try await BreakGlassRows.grants(of: grantIDs, on: connection, logger: logger))
        return try stored.map { row throws(StoreError) in try row.restore(approvals: approvals[row.id] ?? [], grant: grants[row.id]) }
    }

    /// Approvals with their evidence, if any (a hardware-key approval has exactly one row of it).
    private static func approvals(of ids: [String], on connection: PostgresConnection, logger: Logger) async throws -> [StoredApproval] {
        var approvals: [StoredApproval] = []
        for try await row in try await connection.query("""
            SELECT a.request_id, a.position, a.approver, a.approver_groups, a.approved_at, a.method,
                e.credential_id, e.public_key, e.authenticator_data, e.client_data_json, e.signature, e.nonce
            FROM approvals a LEFT JOIN approval_evidence e ON e.request_id = a.request_id AND e.position = a.position
            WHERE a.request_id = ANY(\(ids)) ORDER BY a.request_id, a.position
            """, logger: logger) {
            // By position in the SELECT above.
            let stored = StoredPostgresCells(row, table: "approvals") { cells in
                "\(StoredPostgresCells.text(at: 0, of: cells))/\(StoredPostgresCells.number(at: 1, of: cells))"
            }
            let evidence = try stored.optionalBytes(at: 6, "credential_id").map { credentialID throws(StoreError) in
                StoredApproval.Evidence(
                    credentialID: credentialID, publicKey: try stored.bytes(at: 7, "public_key"),
                    authenticatorData: try stored.bytes(at: 8, "authenticator_data"),
                    clientDataJSON: try stored.bytes(at: 9, "client_data_json"),
                    signature: try stored.bytes(at: 10, "signature"), nonce: try stored.bytes(at: 11, "nonce")
                )
            }
            approvals.append(StoredApproval(
                requestID: try stored.value(at: 0, "request_id"), position: try stored.value(at: 1, "position"),
                approver: try stored.value(at: 2, "approver"), approverGroups: try stored.value(at: 3, "approver_groups"),
                approvedAt: try stored.value(at: 4, "approved_at"), method: try stored.value(at: 5, "method"), evidence: evidence
            ))
        }
        return approvals
    }

    /// By position in `columns`.
    private static func columns(of row: PostgresRow) throws(StoreError) -> StoredRequest {
        let stored = StoredPostgresCells(row, table: "requests") { StoredPostgresCells.text(at: 0, of: $0) }
        return StoredRequest(
            id: try stored.value(at: 0, "id"), kind: try stored.value(at: 1, "kind"), requester: try stored.value(at: 2, "requester"),
            target: try stored.value(at: 3, "target"), reason: try stored.value(at: 4, "reason"),
            ticket: try stored.value(at: 5, "ticket"), createdAt: try stored.value(at: 6, "created_at"),
            contentDigest: try stored.bytes(at: 7, "content_digest"), ruleName: try stored.value(at: 8, "rule_name"),
            requirement: try stored.value(at: 9, "requirement"), pendingExpiresAt: try stored.value(at: 10, "pending_expires_at"),
            accessDurationSeconds: try stored.value(at: 11, "access_duration_seconds"), state: try stored.value(at: 12, "state"),
            updatedAt: try stored.value(at: 13, "updated_at"), accessExpiresAt: try stored.value(at: 14, "access_expires_at"),
            deniedBy: try stored.value(at: 15, "denied_by"), denialReason: try stored.value(at: 16, "denial_reason"),
            deniedAt: try stored.value(at: 17, "denied_at"), closedBy: try stored.value(at: 18, "closed_by"),
            closeReason: try stored.value(at: 19, "close_reason"), certificateTerms: try stored.value(at: 20, "certificate_terms"),
            singleUse: try stored.value(at: 21, "single_use"), rolloutStartedAt: try stored.value(at: 22, "rollout_started_at"),
            rolloutStartedBy: try stored.value(at: 23, "rollout_started_by")
        )
    }
}
