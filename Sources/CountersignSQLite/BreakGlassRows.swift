import CountersignCore
import CountersignStore
import Foundation
import GRDB

/// Break-glass grants' rows of `break_glass_grants`, beside their requests; what the columns mean,
/// and how they become domain values again, is `StoredBreakGlassGrant`, shared by every backend.
enum BreakGlassRows {
    static let columns = """
        request_id, channels, reviewers, review_within_seconds, key_touched, granted_at, review_due_at, escalated_at,
        reviewer, reviewer_groups, verdict, notes, reviewed_at, credential_id, public_key, authenticator_data, client_data_json,
        signature, nonce
        """

    static func insert(_ grant: StoredBreakGlassGrant, in db: Database) throws {
        try db.executeCached(
            sql: "INSERT INTO break_glass_grants (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [grant.requestID, grant.channels, grant.reviewers, grant.reviewWithinSeconds, grant.keyTouched, grant.grantedAt, grant.reviewDueAt]
                + changing(grant)
        )
    }

    /// Writes the review and the escalation; the row's triggers keep each as first written.
    static func persistProgress(of grant: StoredBreakGlassGrant, in db: Database) throws {
        try db.executeCached(
            sql: """
                UPDATE break_glass_grants SET escalated_at = ?, reviewer = ?, reviewer_groups = ?, verdict = ?, notes = ?, reviewed_at = ?,
                    credential_id = ?, public_key = ?, authenticator_data = ?, client_data_json = ?, signature = ?, nonce = ?
                WHERE request_id = ?
                """,
            arguments: changing(grant) + [grant.requestID]
        )
    }

    /// The columns after `review_due_at`, in their order.
    private static func changing(_ grant: StoredBreakGlassGrant) -> StatementArguments {
        let evidence = grant.evidence
        return [
            grant.escalatedAt, grant.reviewer, grant.reviewerGroups, grant.verdict, grant.notes, grant.reviewedAt,
            evidence.map { Data($0.credentialID) }, evidence.map { Data($0.publicKey) }, evidence.map { Data($0.authenticatorData) },
            evidence.map { Data($0.clientDataJSON) }, evidence.map { Data($0.signature) }, evidence.map { Data($0.nonce) },
        ]
    }

    /// The rows of the grants `ids`, in no particular order.
    static func grants(of ids: [String], in db: Database) throws -> [StoredBreakGlassGrant] {
        let rows = ids.count == 1
            ? try Row.fetchCursor(db.cachedStatement(sql: "SELECT \(columns) FROM break_glass_grants WHERE request_id = ?"), arguments: [ids[0]])
            : try Row.fetchCursor(
                db.cachedStatement(sql: "SELECT \(columns) FROM break_glass_grants WHERE request_id IN (SELECT value FROM json_each(?))"),
                arguments: [StoredJSON.encode(ids)]
            )
        var grants: [StoredBreakGlassGrant] = []
        while let row = try rows.next() {
            grants.append(try decode(row))
        }
        return grants
    }

    private static func decode(_ row: Row) throws(StoreError) -> StoredBreakGlassGrant {
        let id = (try? row.decode(String.self, forColumn: "request_id")) ?? "?"
        let stored = StoredRow(row: row, table: "break_glass_grants", key: id)
        let evidence = try stored.optionalBlob("credential_id").map { credentialID throws(StoreError) in
            StoredApproval.Evidence(
                credentialID: credentialID, publicKey: try stored.blob("public_key"), authenticatorData: try stored.blob("authenticator_data"),
                clientDataJSON: try stored.blob("client_data_json"), signature: try stored.blob("signature"), nonce: try stored.blob("nonce")
            )
        }
        return StoredBreakGlassGrant(
            requestID: try stored.value("request_id"), channels: try stored.value("channels"), reviewers: try stored.value("reviewers"),
            reviewWithinSeconds: try stored.value("review_within_seconds"), keyTouched: try stored.value("key_touched"),
            grantedAt: try stored.value("granted_at"), reviewDueAt: try stored.value("review_due_at"), escalatedAt: try stored.value("escalated_at"),
            reviewer: try stored.value("reviewer"), reviewerGroups: try stored.value("reviewer_groups"), verdict: try stored.value("verdict"),
            notes: try stored.value("notes"), reviewedAt: try stored.value("reviewed_at"), evidence: evidence
        )
    }

    /// The statement of a listing, selecting `RequestRows.columns` in the listing's order; each
    /// condition is its index's, word for word, so that SQLite reads the index rather than the
    /// table (`BreakGlassListingPlanTests`).
    static func listing(_ query: BreakGlassQuery) -> (sql: String, arguments: StatementArguments) {
        // CROSS JOIN: SQLite walks the grants' index and looks each request up by its key.
        let fromGrants = "SELECT \(RequestRows.qualifiedColumns) FROM break_glass_grants AS g CROSS JOIN requests ON requests.id = g.request_id"
        switch query.selection {
        case .all:
            return ("\(fromGrants) ORDER BY g.granted_at DESC, g.request_id DESC LIMIT ?", [query.limit])
        case .unreviewed:
            return ("\(fromGrants) WHERE g.reviewed_at IS NULL ORDER BY g.granted_at, g.request_id LIMIT ?", [query.limit])
        case .escalationDue(let now):
            return (
                """
                \(fromGrants) WHERE g.reviewed_at IS NULL AND g.escalated_at IS NULL AND g.review_due_at <= ?
                ORDER BY g.review_due_at, g.request_id LIMIT ?
                """,
                [ExpiryDeadline.latestPassed(at: now), query.limit]
            )
        case .open:
            return (
                """
                SELECT \(RequestRows.columns) FROM requests WHERE kind = 'break_glass' AND state IN ('pending', 'approved')
                ORDER BY created_at DESC, id DESC LIMIT ?
                """,
                [query.limit]
            )
        }
    }
}
