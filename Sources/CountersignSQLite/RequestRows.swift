import CountersignStore
import CountersignCore
import Foundation
import GRDB

/// Requests and their approvals as rows of `requests` and `approvals`.
enum RequestRows {
    static let columns = """
        id, kind, requester, target, reason, ticket,
        created_at, content_digest, rule_name, requirement, pending_expires_at, access_duration_seconds,
        state, updated_at, access_expires_at, denied_by, denial_reason, denied_at, closed_by, close_reason
        """

    static func insert(_ request: AccessRequest, in db: Database) throws {
        let fields = Dictionary(request.target.fields.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        try db.executeCached(
            sql: """
                INSERT INTO requests (id, kind, requester, target, reason, ticket, created_at, content_digest, rule_name,
                    requirement, pending_expires_at, access_duration_seconds, state, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                request.id.rawValue, request.kind.rawValue, request.requester.rawValue, StoredJSON.encode(fields),
                request.reason, request.ticket, request.createdAt.millisecondsSinceEpoch,
                Data(request.canonicalContent.sha256), request.ruleName,
                try StoredJSON.encode(StoredRequirement(request.requirement)),
                request.pendingExpiresAt.millisecondsSinceEpoch, request.accessDurationSeconds,
                request.state.rawValue, request.updatedAt.millisecondsSinceEpoch,
            ]
        )
        try persistProgress(of: request, from: nil, in: db)
    }

    /// Writes what may change after creation. Approvals are only ever added: an approval once
    /// recorded is evidence, and the store refuses a change that would rewrite it.
    static func persistProgress(of request: AccessRequest, from previous: AccessRequest?, in db: Database) throws {
        let kept = previous?.approvals ?? []
        guard request.approvals.starts(with: kept) else {
            throw StoreError(.invalidChange, "a change to request \(request.id) may add approvals but not alter recorded ones")
        }
        if previous != nil {
            try db.executeCached(
                sql: """
                    UPDATE requests SET state = ?, updated_at = ?, access_expires_at = ?, denied_by = ?,
                        denial_reason = ?, denied_at = ?, closed_by = ?, close_reason = ?
                    WHERE id = ?
                    """,
                arguments: [
                    request.state.rawValue, request.updatedAt.millisecondsSinceEpoch,
                    request.accessExpiresAt?.millisecondsSinceEpoch, request.denial?.by.rawValue,
                    request.denial?.reason, request.denial?.at.millisecondsSinceEpoch,
                    request.closedBy?.rawValue, request.closeReason, request.id.rawValue,
                ]
            )
        }
        for (position, approval) in request.approvals.enumerated().dropFirst(kept.count) {
            try db.executeCached(
                sql: """
                    INSERT INTO approvals (request_id, position, approver, approver_groups, approved_at, method)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    request.id.rawValue, position, approval.approver.rawValue,
                    StoredJSON.encode(approval.groups.sorted()), approval.at.millisecondsSinceEpoch,
                    approval.method.rawValue,
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
                        request.id.rawValue, position, Data(evidence.credentialID), Data(evidence.publicKey),
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
        let approvals = try ids.count == 1 ? approvals(of: ids[0], in: db) : approvals(of: ids, in: db)
        return try rows.map { row in try decode(row, approvals: approvals) }
    }

    /// Approvals with their evidence, if any (a hardware-key approval has exactly one row of it).
    private static let approvalsWithEvidence = """
        SELECT a.request_id, a.position, a.approver, a.approver_groups, a.approved_at, a.method,
            e.credential_id, e.public_key, e.authenticator_data, e.client_data_json, e.signature, e.nonce
        FROM approvals a LEFT JOIN approval_evidence e ON e.request_id = a.request_id AND e.position = a.position
        """

    /// The approvals of one request: what every decision reads, so a plain key lookup.
    private static func approvals(of id: String, in db: Database) throws -> [String: [Approval]] {
        try decodeApprovals(Row.fetchAll(
            db.cachedStatement(sql: "\(approvalsWithEvidence) WHERE a.request_id = ? ORDER BY a.position"),
            arguments: [id]
        ))
    }

    private static func approvals(of ids: [String], in db: Database) throws -> [String: [Approval]] {
        try decodeApprovals(Row.fetchAll(
            db.cachedStatement(sql: """
                \(approvalsWithEvidence)
                WHERE a.request_id IN (SELECT value FROM json_each(?)) ORDER BY a.request_id, a.position
                """),
            arguments: [StoredJSON.encode(ids)]
        ))
    }

    private static func decodeApprovals(_ rows: [Row]) throws(StoreError) -> [String: [Approval]] {
        var approvals: [String: [Approval]] = [:]
        for row in rows {
            let requestID = (try? row.decode(String.self, forColumn: "request_id")) ?? "?"
            let position = (try? row.decode(Int64.self, forColumn: "position")).map(String.init) ?? "?"
            let stored = StoredRow(row: row, table: "approvals", key: "\(requestID)/\(position)")
            let method = try stored.value("method", as: String.self)
            guard let approvalMethod = ApprovalMethod(rawValue: method) else {
                throw stored.corrupt("unknown approval method")
            }
            let approver = try stored.domain("approver", Username.init)
            let groups = Set(try stored.json("approver_groups", as: [String].self))
            let at = try stored.time("approved_at")
            let evidence = try stored.optionalBlob("credential_id").map { credentialID throws(StoreError) in
                HardwareKeyEvidence(
                    credentialID: credentialID, publicKey: try stored.blob("public_key"),
                    authenticatorData: try stored.blob("authenticator_data"), clientDataJSON: try stored.blob("client_data_json"),
                    signature: try stored.blob("signature"), nonce: try stored.bytes("nonce", count: 32)
                )
            }
            switch (approvalMethod, evidence) {
            case (.hardwareKey, let evidence?):
                approvals[requestID, default: []].append(Approval(approver: approver, groups: groups, at: at, evidence: evidence))
            case (.session, nil):
                approvals[requestID, default: []].append(Approval(approver: approver, groups: groups, at: at, method: .session))
            default:
                throw stored.corrupt("a \(method) approval \(evidence == nil ? "without" : "with") hardware-key evidence")
            }
        }
        return approvals
    }

    private static func decode(_ row: Row, approvals: [String: [Approval]]) throws(StoreError) -> AccessRequest {
        let rawID = (try? row.decode(String.self, forColumn: "id")) ?? "?"
        let stored = StoredRow(row: row, table: "requests", key: rawID)
        let id = try stored.domain("id", RequestID.init)
        let kind = try stored.domain("kind") { text throws(DomainError) in
            guard let kind = RequestKind(rawValue: text) else { throw DomainError(.invalidField, "unknown kind") }
            return kind
        }
        let fields = try stored.json("target", as: [String: String].self)
        let target = try stored.build("target") { () throws(DomainError) in try RequestTarget(kind: kind, fields: fields) }
        let reason = try stored.value("reason", as: String.self)
        let ticket = try stored.value("ticket", as: String.self)
        // The same checks as at creation: a row edited to carry control characters must not reach
        // a reviewer's screen.
        let draft = try stored.build("content") { () throws(DomainError) in
            try RequestDraft(target: target, reason: reason, ticket: ticket)
        }
        let storedRequirement = try stored.json("requirement", as: StoredRequirement.self)
        let state = try stored.domain("state") { text throws(DomainError) in
            guard let state = RequestState(rawValue: text) else { throw DomainError(.invalidField, "unknown state") }
            return state
        }
        let deniedBy = try stored.optionalDomain("denied_by", Username.init)
        let denial: Denial?
        if let deniedBy {
            denial = Denial(by: deniedBy, reason: try stored.value("denial_reason", as: String.self), at: try stored.time("denied_at"))
        } else {
            denial = nil
        }
        let request = AccessRequest(
            restoring: id, requester: try stored.domain("requester", Username.init), target: draft.target,
            reason: draft.reason, ticket: draft.ticket, createdAt: try stored.time("created_at"),
            ruleName: try stored.value("rule_name", as: String.self),
            requirement: try stored.build("requirement", storedRequirement.requirement),
            pendingExpiresAt: try stored.time("pending_expires_at"),
            accessDurationSeconds: try stored.value("access_duration_seconds", as: Int.self),
            state: state, updatedAt: try stored.time("updated_at"), approvals: approvals[id.rawValue] ?? [],
            denial: denial, accessExpiresAt: try stored.optionalTime("access_expires_at"),
            closedBy: try stored.optionalDomain("closed_by", Username.init),
            closeReason: try stored.value("close_reason", as: String?.self)
        )
        // Approvals are bound to the content digest: content edited behind the gateway's back must
        // not be shown as what reviewers approved.
        guard try stored.bytes("content_digest", count: 32) == request.canonicalContent.sha256 else {
            throw StoreError(
                .integrityViolation, "request \(id)'s stored content no longer matches the digest its approvals are bound to",
                subject: id.rawValue
            )
        }
        return request
    }
}
