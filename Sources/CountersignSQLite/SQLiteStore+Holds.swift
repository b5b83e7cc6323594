import CountersignStore
import GRDB

/// What a stopped gateway left held in the file.
public struct ReleasedHolds: Hashable, Sendable {
    /// Notification claims: messages whose attempt was never recorded.
    public var claims: Int
    /// Audit stream leases: sinks whose sending stopped mid-batch.
    public var leases: Int

    public init(claims: Int, leases: Int) {
        self.claims = claims
        self.leases = leases
    }
}

extension SQLiteStore {
    /// Releases every notification claim and audit stream lease in the file, so that what a
    /// stopped gateway held is due at once instead of when its lease ends. Only for the one
    /// gateway on the file (`EmbeddedDatabaseLock`): another running on it would lose its holds.
    /// No attempt is counted for a released claim: none was recorded.
    public func releaseHolds() async throws -> ReleasedHolds {
        try await write { db in
            try db.execute(sql: "UPDATE outbox_messages SET claimed_until = NULL WHERE state = 'pending' AND claimed_until IS NOT NULL")
            let claims = db.changesCount
            try db.execute(sql: "UPDATE audit_stream_cursors SET holder = NULL, leased_until = NULL WHERE holder IS NOT NULL")
            return ReleasedHolds(claims: claims, leases: db.changesCount)
        }
    }
}
