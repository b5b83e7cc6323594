import CountersignCore

/// The stored JSON of an approval requirement, the same on every backend. Kept apart from the
/// core's `Codable` so the stored format changes only by a migration, and rebuilt through the
/// validating initialisers so a hand-edited row cannot smuggle in a zero-approval clause.
public struct StoredRequirement: Codable, Sendable {
    public struct Clause: Codable, Sendable {
        public let count: Int
        public let group: String
    }

    public let clauses: [Clause]
    public let hardwareKeyRequired: Bool

    enum CodingKeys: String, CodingKey {
        case clauses
        case hardwareKeyRequired = "hardware_key_required"
    }

    public init(_ requirement: ApprovalRequirement) {
        clauses = requirement.clauses.map { Clause(count: $0.count, group: $0.group) }
        hardwareKeyRequired = requirement.hardwareKeyRequired
    }

    public func requirement() throws(DomainError) -> ApprovalRequirement {
        var built: [ApprovalClause] = []
        for clause in clauses {
            built.append(try ApprovalClause(count: clause.count, group: clause.group))
        }
        return try ApprovalRequirement(clauses: built, hardwareKeyRequired: hardwareKeyRequired)
    }
}
