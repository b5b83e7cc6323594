import CountersignStore
import CountersignCore

/// The on-disk JSON of an approval requirement. Kept apart from the core's `Codable` so the file
/// format changes only by a migration, and rebuilt through the validating initialisers so a
/// hand-edited row cannot smuggle in a zero-approval clause.
struct StoredRequirement: Codable {
    struct Clause: Codable {
        let count: Int
        let group: String
    }

    let clauses: [Clause]
    let hardwareKeyRequired: Bool

    enum CodingKeys: String, CodingKey {
        case clauses
        case hardwareKeyRequired = "hardware_key_required"
    }

    init(_ requirement: ApprovalRequirement) {
        clauses = requirement.clauses.map { Clause(count: $0.count, group: $0.group) }
        hardwareKeyRequired = requirement.hardwareKeyRequired
    }

    func requirement() throws(DomainError) -> ApprovalRequirement {
        var built: [ApprovalClause] = []
        for clause in clauses {
            built.append(try ApprovalClause(count: clause.count, group: clause.group))
        }
        return try ApprovalRequirement(clauses: built, hardwareKeyRequired: hardwareKeyRequired)
    }
}
