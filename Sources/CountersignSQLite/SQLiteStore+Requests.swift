import CountersignStore
import CountersignCore
import Foundation
import GRDB

extension SQLiteStore {
    public func createRequest(_ creation: RequestChange) async throws -> AccessRequest {
        let request = creation.request
        return try await write { db in
            guard try !RequestRows.exists(request.id, in: db) else {
                throw StoreError(.alreadyExists, "request \(request.id) already exists")
            }
            try commit(creation.checked(for: request.id), replacing: nil, in: db)
            return request
        }
    }

    public func request(_ id: RequestID) async throws -> AccessRequest? {
        try await read { db in try RequestRows.fetch(id, in: db) }
    }

    public func requests(_ query: RequestQuery) async throws -> [AccessRequest] {
        let (conditions, arguments) = Self.filter(query)
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = """
            SELECT \(RequestRows.columns) FROM requests \(whereClause)
            ORDER BY created_at DESC, id DESC LIMIT \(query.limit)
            """
        // Not cached: the text varies with the filters, and the cache would keep every variant.
        return try await read { db in try RequestRows.fetchAll(db.makeStatement(sql: sql), arguments: arguments, in: db) }
    }

    public func deployRequests(service: String, environment: String, commit: ArtifactReference?, limit: Int) async throws -> [AccessRequest] {
        guard (1...RequestQuery.maximumLimit).contains(limit) else {
            throw StoreError(.invalidQuery, "limit must be between 1 and \(RequestQuery.maximumLimit)")
        }
        // The expressions are those of the index `requests_by_deploy_target`, word for word, so
        // that SQLite uses it.
        let sql = """
            SELECT \(RequestRows.columns) FROM requests
            WHERE kind = 'deploy' AND json_extract(target, '$.service') = ? AND json_extract(target, '$.environment') = ?
                \(commit == nil ? "" : "AND json_extract(target, '$.commit') = ?")
            ORDER BY created_at DESC, id DESC LIMIT ?
            """
        let arguments: StatementArguments = commit.map { [service, environment, $0.description, limit] } ?? [service, environment, limit]
        return try await read { db in try RequestRows.fetchAll(db.cachedStatement(sql: sql), arguments: arguments, in: db) }
    }

    public func requestIDs(after: RequestID?, limit: Int) async throws -> [RequestID] {
        guard (1...RequestQuery.maximumLimit).contains(limit) else {
            throw StoreError(.invalidQuery, "limit must be between 1 and \(RequestQuery.maximumLimit)")
        }
        return try await read { db in
            try String.fetchAll(db, sql: "SELECT id FROM requests WHERE id > ? ORDER BY id LIMIT ?", arguments: [after?.rawValue ?? "", limit])
                .map { raw throws(StoreError) in try StoredRequest.requestID(raw) }
        }
    }

    public func update(
        _ id: RequestID, at now: Date, _ decide: @Sendable (AccessRequest) throws -> RequestChange
    ) async throws -> AccessRequest {
        try await write { db in
            guard let current = try RequestRows.fetch(id, in: db) else {
                throw StoreError(.notFound, "no request \(id)")
            }
            let change = try decide(current).checked(for: id)
            try commit(change, replacing: current, in: db)
            return change.request
        }
    }

    public func expireDue(
        at now: Date, limit: Int, announce: @Sendable (RequestChange) throws -> [OutboxMessage]
    ) async throws -> [AccessRequest] {
        guard limit > 0 else { return [] }
        let passedDeadline = ExpiryDeadline.latestPassed(at: now)
        return try await write { db in
            var expired: [AccessRequest] = []
            // Tampered requests are passed over and left out of the next batch: however many there
            // are, they never take the places of requests that can expire.
            var passedOver: [String] = []
            while expired.count < limit {
                // The literal states let SQLite use the two partial deadline indexes.
                let ids = try String.fetchAll(
                    db,
                    sql: """
                        SELECT id FROM requests WHERE state = 'pending' AND pending_expires_at <= ?1
                            AND id NOT IN (SELECT value FROM json_each(?3))
                        UNION ALL
                        SELECT id FROM requests WHERE state = 'approved' AND access_expires_at <= ?1
                            AND id NOT IN (SELECT value FROM json_each(?3))
                        LIMIT ?2
                        """,
                    arguments: [passedDeadline, limit - expired.count, StoredJSON.encode(passedOver)]
                )
                guard !ids.isEmpty else { break }
                for rawID in ids {
                    let id = try StoredRequest.requestID(rawID)
                    let found: AccessRequest?
                    do {
                        found = try RequestRows.fetch(id, in: db)
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
                    try commit(change.announcing(announcements), replacing: current, in: db)
                    expired.append(change.request)
                }
            }
            return expired
        }
    }

    public func requestCounts() async throws -> [RequestCount] {
        let stored = try await read { db in
            try Row.fetchAll(db, sql: "SELECT kind, state, count(*) AS count FROM requests GROUP BY kind, state")
                .map { row in
                    let stored = StoredRow(row: row, table: "requests", key: "counts")
                    return (try stored.value("kind", as: String.self), try stored.value("state", as: String.self), try stored.value("count", as: Int.self))
                }
        }
        let counts = Dictionary(stored.map { ("\($0.0)/\($0.1)", $0.2) }, uniquingKeysWith: +)
        // Every combination, zeros included, so a gauge falls back to 0 instead of keeping its
        // last value when the last request leaves a state.
        return RequestKind.allCases.flatMap { kind in
            RequestState.allCases.map { state in
                RequestCount(kind: kind, state: state, count: counts["\(kind.rawValue)/\(state.rawValue)"] ?? 0)
            }
        }
    }

    /// The WHERE conditions of a listing, every value bound as an argument.
    private static func filter(_ query: RequestQuery) -> ([String], StatementArguments) {
        var conditions: [String] = []
        var arguments = StatementArguments()
        if let requester = query.requester {
            conditions.append("requester = ?")
            arguments += [requester.rawValue]
        }
        if !query.states.isEmpty {
            conditions.append("state IN (\(placeholders(query.states.count)))")
            arguments += StatementArguments(query.states.map(\.rawValue).sorted())
        }
        if !query.kinds.isEmpty {
            conditions.append("kind IN (\(placeholders(query.kinds.count)))")
            arguments += StatementArguments(query.kinds.map(\.rawValue).sorted())
        }
        if let pattern = query.searchPattern {
            // The target's values, whatever its kind's fields: its keys are not searched.
            let searched = ["id", "requester", "reason", "ticket"].map { "\($0) LIKE ? ESCAPE '\\'" }
                + ["EXISTS (SELECT 1 FROM json_each(requests.target) WHERE json_each.value LIKE ? ESCAPE '\\')"]
            conditions.append("(" + searched.joined(separator: " OR ") + ")")
            arguments += StatementArguments(Array(repeating: pattern, count: searched.count))
        }
        if let audience = query.audience {
            let (condition, values) = audienceCondition(audience)
            if let condition {
                conditions.append(condition)
                arguments += values
            }
        }
        if let cursor = query.before {
            conditions.append("(created_at, id) < (?, ?)")
            arguments += [cursor.createdAt.millisecondsSinceEpoch, cursor.id.rawValue]
        }
        return (conditions, arguments)
    }

    /// `RequestRules.belongs(_:to:)` in SQL: reviewer groups are read from the requirement
    /// snapshot, approvers from the approvals table, a grant's reviewers from its terms. Nil when
    /// the audience sees everything.
    private static func audienceCondition(_ audience: RequestAudience) -> (String?, StatementArguments) {
        let actor = audience.actor
        let groups = actor.groups.sorted()
        let reviews = groups.isEmpty ? "0" : """
            EXISTS (SELECT 1 FROM json_each(requests.requirement, '$.clauses') AS clause
                    WHERE json_extract(clause.value, '$.group') IN (\(placeholders(groups.count))))
            """
        let approved = "EXISTS (SELECT 1 FROM approvals WHERE approvals.request_id = requests.id AND approvals.approver = ?)"
        let name = actor.name.rawValue
        switch audience {
        case .viewer:
            if RequestRules.oversees(actor) { return (nil, []) }
            guard !groups.isEmpty else { return ("(requester = ? OR \(approved))", [name, name]) }
            let reviewsGrant = """
                EXISTS (SELECT 1 FROM break_glass_grants AS g, json_each(g.reviewers) AS reviewer
                        WHERE g.request_id = requests.id AND reviewer.value IN (\(placeholders(groups.count))))
                """
            return (
                "(requester = ? OR \(reviews) OR \(approved) OR \(reviewsGrant))",
                [name] + StatementArguments(groups) + [name] + StatementArguments(groups)
            )
        case .reviewer:
            return ("(state = 'pending' AND requester <> ? AND \(reviews) AND NOT \(approved))", [name] + StatementArguments(groups) + [name])
        }
    }

    private static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }
}
