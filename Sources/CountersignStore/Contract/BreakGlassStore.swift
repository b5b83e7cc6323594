import CountersignCore
import Foundation

/// Break-glass grants as a store keeps them beside their requests: a grant is a `break_glass`
/// request created, changed and expired through `RequestStore` like any other, and its terms,
/// review and escalation (`AccessRequest.breakGlassTerms`, `.breakGlassReview`,
/// `.reviewEscalatedAt`) persist with it in the same unit of work. What this adds is the
/// listings the grant's life needs, by index.
public protocol BreakGlassStore: Sendable {
    /// Grants matching `query`, at most its limit, in its order.
    func breakGlassGrants(_ query: BreakGlassQuery) async throws -> [AccessRequest]
}

public struct BreakGlassQuery: Hashable, Sendable {
    public enum Selection: Hashable, Sendable {
        /// Every grant, newest first.
        case all
        /// Grants not yet reviewed, the longest waiting first: what a reviewer works through.
        case unreviewed
        /// Unreviewed grants whose review window ended by this time and that were not yet paged
        /// again, the longest overdue first: what the escalation sweep pages.
        case escalationDue(at: Date)
        /// Grants still pending or approved (whatever their deadlines), newest first: what an
        /// incident's resolution may end.
        case open
    }

    public static let maximumLimit = 500

    public let selection: Selection
    public let limit: Int

    public init(_ selection: Selection, limit: Int) throws(StoreError) {
        guard (1...Self.maximumLimit).contains(limit) else { throw StoreError(.invalidQuery, "limit must be between 1 and \(Self.maximumLimit)") }
        self.selection = selection
        self.limit = limit
    }
}
