import CountersignCore
import CountersignStore
import PostgresNIO

/// A `RequestQuery` as one SELECT, every value bound as a parameter: the filters, the search,
/// the audience (`RequestRules.belongs` in SQL) and the keyset cursor, newest first.
struct RequestListing {
    private var bindings = PostgresBindings()
    private var conditions: [String] = []
    private let limit: Int

    init(_ query: RequestQuery) throws {
        limit = query.limit
        if let requester = query.requester {
            conditions.append("requester = \(try bind(requester.rawValue))")
        }
        if !query.states.isEmpty {
            conditions.append("state = ANY(\(try bind(query.states.map(\.rawValue).sorted())))")
        }
        if !query.kinds.isEmpty {
            conditions.append("kind = ANY(\(try bind(query.kinds.map(\.rawValue).sorted())))")
        }
        if let pattern = query.searchPattern {
            // The target's values, whatever its kind's fields: its keys are not searched.
            let matches = "LIKE ascii_lower(\(try bind(pattern))) ESCAPE '\\'"
            let searched = ["id", "requester", "reason", "ticket"].map { "ascii_lower(\($0)) \(matches)" }
                + ["EXISTS (SELECT 1 FROM jsonb_each_text(requests.target::jsonb) AS field WHERE ascii_lower(field.value) \(matches))"]
            conditions.append("(" + searched.joined(separator: " OR ") + ")")
        }
        if let audience = query.audience, let condition = try audienceCondition(audience) {
            conditions.append(condition)
        }
        if let cursor = query.before {
            conditions.append("(created_at, id) < (\(try bind(cursor.createdAt.millisecondsSinceEpoch)), \(try bind(cursor.id.rawValue)))")
        }
    }

    var query: PostgresQuery {
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return PostgresQuery(
            unsafeSQL: "SELECT \(RequestRows.columns) FROM requests \(whereClause) ORDER BY created_at DESC, id DESC LIMIT \(limit)",
            binds: bindings
        )
    }

    /// `RequestRules.belongs(_:to:)` in SQL, as on SQLite: reviewer groups are read from the
    /// requirement snapshot, approvers from the approvals table, a grant's reviewers from its
    /// terms. Nil when the audience sees everything.
    private mutating func audienceCondition(_ audience: RequestAudience) throws -> String? {
        let actor = audience.actor
        if case .viewer = audience, RequestRules.oversees(actor) { return nil }
        let name = try bind(actor.name.rawValue)
        let groups = actor.groups.sorted()
        var reviews = "FALSE"
        var reviewsGrant = "FALSE"
        if !groups.isEmpty {
            let reviewerGroups = try bind(groups)
            reviews = """
                EXISTS (SELECT 1 FROM jsonb_array_elements(requests.requirement::jsonb -> 'clauses') AS clause
                        WHERE clause ->> 'group' = ANY(\(reviewerGroups)))
                """
            reviewsGrant = """
                EXISTS (SELECT 1 FROM break_glass_grants AS g, jsonb_array_elements_text(g.reviewers::jsonb) AS listed (reviewer_group)
                        WHERE g.request_id = requests.id AND listed.reviewer_group = ANY(\(reviewerGroups)))
                """
        }
        let approved = "EXISTS (SELECT 1 FROM approvals WHERE approvals.request_id = requests.id AND approvals.approver = \(name))"
        switch audience {
        case .viewer:
            return "(requester = \(name) OR \(reviews) OR \(approved) OR \(reviewsGrant))"
        case .reviewer:
            return "(state = 'pending' AND requester <> \(name) AND \(reviews) AND NOT \(approved))"
        }
    }

    /// Binds `value` and returns its placeholder.
    private mutating func bind(_ value: some PostgresThrowingDynamicTypeEncodable) throws -> String {
        try bindings.append(value)
        return "$\(bindings.count)"
    }
}
