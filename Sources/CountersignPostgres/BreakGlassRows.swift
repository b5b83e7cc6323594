import CountersignCore
import CountersignStore
import Foundation
import Logging
import PostgresNIO

/// Break-glass grants' rows of `break_glass_grants`, beside their requests; what the columns mean,
/// and how they become domain values again, is `StoredBreakGlassGrant`, shared with SQLite.
enum BreakGlassRows {
    static let columns = """
        request_id, channels, reviewers, review_within_seconds, key_touched, granted_at, review_due_at, escalated_at,
        reviewer, reviewer_groups, verdict, notes, reviewed_at, credential_id, public_key, authenticator_data, client_data_json,
        signature, nonce
        """

    static func insert(_ grant: StoredBreakGlassGrant, on connection: PostgresConnection, logger: Logger) async throws {
        let evidence = grant.evidence
        try await connection.query("""
            INSERT INTO break_glass_grants (\(unescaped: columns))
            VALUES (\(grant.requestID), \(grant.channels), \(grant.reviewers), \(grant.reviewWithinSeconds), \(grant.keyTouched),
                \(grant.grantedAt), \(grant.reviewDueAt), \(grant.escalatedAt), \(grant.reviewer), \(grant.reviewerGroups),
                \(grant.verdict), \(grant.notes), \(grant.reviewedAt), \(evidence.map { Data($0.credentialID) }),
                \(evidence.map { Data($0.publicKey) }), \(evidence.map { Data($0.authenticatorData) }),
                \(evidence.map { Data($0.clientDataJSON) }), \(evidence.map { Data($0.signature) }), \(evidence.map { Data($0.nonce) }))
            """, logger: logger)
    }

    /// Writes the review and the escalation; the row's trigger keeps each as first written.
    static func persistProgress(of grant: StoredBreakGlassGrant, on connection: PostgresConnection, logger: Logger) async throws {
        let evidence = grant.evidence
        try await connection.query("""
            UPDATE break_glass_grants SET escalated_at = \(grant.escalatedAt), reviewer = \(grant.reviewer),
                reviewer_groups = \(grant.reviewerGroups), verdict = \(grant.verdict), notes = \(grant.notes),
                reviewed_at = \(grant.reviewedAt), credential_id = \(evidence.map { Data($0.credentialID) }),
                public_key = \(evidence.map { Data($0.publicKey) }), authenticator_data = \(evidence.map { Data($0.authenticatorData) }),
                client_data_json = \(evidence.map { Data($0.clientDataJSON) }), signature = \(evidence.map { Data($0.signature) }),
                nonce = \(evidence.map { Data($0.nonce) })
            WHERE request_id = \(grant.requestID)
            """, logger: logger)
    }

    /// The rows of the grants `ids`, in no particular order.
    static func grants(of ids: [String], on connection: PostgresConnection, logger: Logger) async throws -> [StoredBreakGlassGrant] {
        var grants: [StoredBreakGlassGrant] = []
        for try await row in try await connection.query(
            "SELECT \(unescaped: columns) FROM break_glass_grants WHERE request_id = ANY(\(ids))", logger: logger
        ) {
            let stored = StoredPostgresRow(row, table: "break_glass_grants") { StoredPostgresRow.text("request_id", of: $0) }
            let evidence = try stored.optionalBytes("credential_id").map { credentialID throws(StoreError) in
                StoredApproval.Evidence(
                    credentialID: credentialID, publicKey: try stored.bytes("public_key"), authenticatorData: try stored.bytes("authenticator_data"),
                    clientDataJSON: try stored.bytes("client_data_json"), signature: try stored.bytes("signature"), nonce: try stored.bytes("nonce")
                )
            }
            grants.append(StoredBreakGlassGrant(
                requestID: try stored.value("request_id"), channels: try stored.value("channels"), reviewers: try stored.value("reviewers"),
                reviewWithinSeconds: try stored.value("review_within_seconds"), keyTouched: try stored.value("key_touched"),
                grantedAt: try stored.value("granted_at"), reviewDueAt: try stored.value("review_due_at"),
                escalatedAt: try stored.value("escalated_at"), reviewer: try stored.value("reviewer"),
                reviewerGroups: try stored.value("reviewer_groups"), verdict: try stored.value("verdict"), notes: try stored.value("notes"),
                reviewedAt: try stored.value("reviewed_at"), evidence: evidence
            ))
        }
        return grants
    }

    /// The query of a listing, selecting `RequestRows.columns` in the listing's order; each
    /// condition is its partial index's, so that the index is read rather than the table.
    static func listing(_ query: BreakGlassQuery) -> PostgresQuery {
        let limit = Int64(query.limit)
        switch query.selection {
        case .all:
            return """
                SELECT \(unescaped: RequestRows.qualifiedColumns) FROM break_glass_grants AS g JOIN requests ON requests.id = g.request_id
                ORDER BY g.granted_at DESC, g.request_id DESC LIMIT \(limit)
                """
        case .unreviewed:
            return """
                SELECT \(unescaped: RequestRows.qualifiedColumns) FROM break_glass_grants AS g JOIN requests ON requests.id = g.request_id
                WHERE g.reviewed_at IS NULL ORDER BY g.granted_at, g.request_id LIMIT \(limit)
                """
        case .escalationDue(let now):
            return """
                SELECT \(unescaped: RequestRows.qualifiedColumns) FROM break_glass_grants AS g JOIN requests ON requests.id = g.request_id
                WHERE g.reviewed_at IS NULL AND g.escalated_at IS NULL AND g.review_due_at <= \(ExpiryDeadline.latestPassed(at: now))
                ORDER BY g.review_due_at, g.request_id LIMIT \(limit)
                """
        case .open:
            return """
                SELECT \(unescaped: RequestRows.columns) FROM requests WHERE kind = 'break_glass' AND state IN ('pending', 'approved')
                ORDER BY created_at DESC, id DESC LIMIT \(limit)
                """
        }
    }
}
