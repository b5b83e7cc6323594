import CountersignCore
import CountersignStore
import Foundation
import PostgresNIO

extension PostgresStore: RequestStore {
    public func createRequest(_ creation: RequestChange) async throws -> AccessRequest {
        let request = creation.request
        let records = try await transaction { connection in
            try await commit(creation.checked(for: request.id), replacing: nil, on: connection)
        }
        auditTally.add(records)
        return request
    }

    public func request(_ id: RequestID) async throws -> AccessRequest? {
        try await read { connection in try await RequestRows.fetch(id, forUpdate: false, on: connection, logger: logger) }
    }

    public func requests(_ query: RequestQuery) async throws -> [AccessRequest] {
        let listing = try RequestListing(query)
        return try await read { connection in try await RequestRows.fetchAll(listing.query, on: connection, logger: logger) }
    }

    public func deployRequests(service: String, environment: String, commit: ArtifactReference?, limit: Int) async throws -> [AccessRequest] {
        guard (1...RequestQuery.maximumLimit).contains(limit) else {
            throw StoreError(.invalidQuery, "limit must be between 1 and \(RequestQuery.maximumLimit)")
        }
        // The expressions are those of the index `requests_by_deploy_target`, so that it is used.
        let query: PostgresQuery = if let commit {
            """
            SELECT \(unescaped: RequestRows.columns) FROM requests
            WHERE kind = 'deploy' AND (target::jsonb ->> 'service') = \(service) AND (target::jsonb ->> 'environment') = \(environment)
                AND (target::jsonb ->> 'commit') = \(commit.description)
            ORDER BY created_at DESC, id DESC LIMIT \(Int64(limit))
            """
        } else {
            """
            SELECT \(unescaped: RequestRows.columns) FROM requests
            WHERE kind = 'deploy' AND (target::jsonb ->> 'service') = \(service) AND (target::jsonb ->> 'environment') = \(environment)
            ORDER BY created_at DESC, id DESC LIMIT \(Int64(limit))
            """
        }
        return try await read { connection in try await RequestRows.fetchAll(query, on: connection, logger: logger) }
    }

    public func requestIDs(after: RequestID?, limit: Int) async throws -> [RequestID] {
        guard (1...RequestQuery.maximumLimit).contains(limit) else {
            throw StoreError(.invalidQuery, "limit must be between 1 and \(RequestQuery.maximumLimit)")
        }
        let raw = try await read { connection in
            var ids: [String] = []
            for try await id in try await connection.query(
                "SELECT id FROM requests WHERE id > \(after?.rawValue ?? "") ORDER BY id LIMIT \(Int64(limit))", logger: logger
            ).decode(String.self) {
                ids.append(id)
            }
            return ids
        }
        return try raw.map { raw throws(StoreError) in try StoredRequest.requestID(raw) }
    }

    public func update(
        _ id: RequestID, at now: Date, _ decide: @Sendable (AccessRequest) throws -> RequestChange
    ) async throws -> AccessRequest {
        let (request, records) = try await transaction { connection in
            guard let current = try await RequestRows.fetch(id, forUpdate: true, on: connection, logger: logger) else {
                throw StoreError(.notFound, "no request \(id)")
            }
            let change = try decide(current).checked(for: id)
            return (change.request, try await commit(change, replacing: current, on: connection))
        }
        auditTally.add(records)
        return request
    }

    public func expireDue(
        at now: Date, limit: Int, announce: @Sendable (RequestChange) throws -> [OutboxMessage]
    ) async throws -> [AccessRequest] {
        guard limit > 0 else { return [] }
        let passedDeadline = ExpiryDeadline.latestPassed(at: now)
        let (expired, records) = try await transaction { connection in
            var expired: [AccessRequest] = []
            var records = 0
            // Tampered requests are passed over and left out of the next batch: however many there
            // are, they never take the places of requests that can expire.
            var passedOver: [String] = []
            while expired.count < limit {
                // SKIP LOCKED: a request another gateway is deciding on right now is left to the
                // next sweep, rather than holding this one (and every expiry behind it) until that
                // commits.
                var ids: [String] = []
                for try await id in try await connection.query("""
                    SELECT id FROM requests
                    WHERE ((state = 'pending' AND pending_expires_at <= \(passedDeadline))
                        OR (state = 'approved' AND access_expires_at <= \(passedDeadline)))
                        AND id <> ALL(\(passedOver))
                    ORDER BY id LIMIT \(Int64(limit - expired.count)) FOR UPDATE SKIP LOCKED
                    """, logger: logger).decode(String.self) {
                    ids.append(id)
                }
                guard !ids.isEmpty else { break }
                for rawID in ids {
                    let id = try StoredRequest.requestID(rawID)
                    let found: AccessRequest?
                    do {
                        found = try await RequestRows.fetch(id, forUpdate: false, on: connection, logger: logger)
                    } catch let error as StoreError where error.code == .integrityViolation {
                        // A tampered request must not stop every other one from expiring; it stays
                        // unreadable (and so unusable) until an operator restores it.
                        passedOver.append(rawID)
                        continue
                    }
                    guard let current = found else {
                        passedOver.append(rawID)
                        continue
                    }
                    let change = try RequestRules.apply(.expire, to: current, at: now)
                    let announcements: [OutboxMessage]
                    do {
                        announcements = try announce(change)
                    } catch {
                        // Left to expire once it can be announced, like a tampered request: one
                        // grant whose resolve cannot be made must not hold back every other expiry.
                        passedOver.append(rawID)
                        continue
                    }
                    records += try await commit(change.announcing(announcements), replacing: current, on: connection)
                    expired.append(change.request)
                }
            }
            return (expired, records)
        }
        auditTally.add(records)
        return expired
    }

    public func requestCounts() async throws -> [RequestCount] {
        let counts = try await read { connection in
            var counts: [String: Int] = [:]
            for try await (kind, state, count) in try await connection.query(
                "SELECT kind, state, count(*) FROM requests GROUP BY kind, state", logger: logger
            ).decode((String, String, Int64).self) {
                counts["\(kind)/\(state)", default: 0] += Int(clamping: count)
            }
            return counts
        }
        // Every combination, zeros included, so a gauge falls back to 0 instead of keeping its
        // last value when the last request leaves a state.
        return RequestKind.allCases.flatMap { kind in
            RequestState.allCases.map { state in
                RequestCount(kind: kind, state: state, count: counts["\(kind.rawValue)/\(state.rawValue)"] ?? 0)
            }
        }
    }
}
