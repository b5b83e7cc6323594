import CountersignCore
import Foundation

/// Requests with their approvals, denial and closing.
public protocol RequestStore: Sendable {
    /// Stores a new request with the events of its creation (`RequestRules.create`).
    func createRequest(_ creation: RequestChange) async throws -> AccessRequest

    /// The request with its approvals, denial and closing, or nil if there is none with that id.
    func request(_ id: RequestID) async throws -> AccessRequest?

    /// Requests matching `query`, newest first; with an audience, only the rows it may see.
    func requests(_ query: RequestQuery) async throws -> [AccessRequest]

    /// Up to `limit` deploy requests of `service` to `environment`, of `commit` or of any commit
    /// when nil, newest first: what the deploy gate decides from (`DeployGate`), and where a
    /// reviewer's comparison starts. By index, so that a check costs the same however many
    /// requests the store holds.
    func deployRequests(service: String, environment: String, commit: ArtifactReference?, limit: Int) async throws -> [AccessRequest]

    /// Up to `limit` request ids greater than `after`, in id order, without reading the rows: an
    /// audit walks every request and must name a damaged one rather than stop at it.
    func requestIDs(after: RequestID?, limit: Int) async throws -> [RequestID]

    /// Changes one request, in one write transaction: loads it, asks `decide` what it becomes
    /// (normally `RequestRules.apply(action, to:at:)`), persists the result and appends the change's
    /// audit events. `now` is the time the caller decides at; the change itself carries the times
    /// the rules stamped.
    func update(
        _ id: RequestID, at now: Date, _ decide: @Sendable (AccessRequest) throws -> RequestChange
    ) async throws -> AccessRequest

    /// Expires up to `limit` requests whose pending lifetime or access window has ended by `now`,
    /// each with its audit event and what `announce` makes of its change (a break-glass grant's
    /// resolve) in its unit of work, and returns them. A request whose content fails its digest,
    /// or whose announcement cannot be made, is passed over: it stays unusable, and must not keep
    /// the others from expiring.
    func expireDue(at now: Date, limit: Int, announce: @Sendable (RequestChange) throws -> [OutboxMessage]) async throws -> [AccessRequest]

    /// Requests per kind and state, zeros included, for the metrics gauges.
    func requestCounts() async throws -> [RequestCount]
}
