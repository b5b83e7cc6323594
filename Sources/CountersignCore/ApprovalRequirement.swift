/// "N approvals from group G": one clause of a requirement.
public struct ApprovalClause: Hashable, Sendable, Codable, CustomStringConvertible {
    public let count: Int
    public let group: String

    public static let maximumCount = 16

    public init(count: Int, group: String) throws(DomainError) {
        guard (1...Self.maximumCount).contains(count) else {
            throw DomainError(.invalidField, "an approval clause needs 1 to \(Self.maximumCount) approvals")
        }
        try FieldRules.checkName(group, field: "group")
        self.count = count
        self.group = group
    }

    public var description: String { "\(count) from \(group)" }
}

/// What must happen before a request is approved: every clause satisfied (AND), each approval
/// from a different person, and whether each approval must be made with a hardware key.
public struct ApprovalRequirement: Hashable, Sendable, Codable {
    public let clauses: [ApprovalClause]
    public let hardwareKeyRequired: Bool

    public init(clauses: [ApprovalClause], hardwareKeyRequired: Bool) throws(DomainError) {
        guard !clauses.isEmpty else {
            throw DomainError(.invalidField, "an approval requirement needs at least one clause")
        }
        self.clauses = clauses
        self.hardwareKeyRequired = hardwareKeyRequired
    }

    /// No one's approval: a break-glass grant without an agreement clause is active at once.
    /// Nobody can review under it, for it names no group.
    public static let noneNeeded = ApprovalRequirement(unchecked: [], hardwareKeyRequired: false)

    private init(unchecked clauses: [ApprovalClause], hardwareKeyRequired: Bool) {
        self.clauses = clauses
        self.hardwareKeyRequired = hardwareKeyRequired
    }

    /// Groups whose members may review (approve or deny) under this requirement.
    public var reviewerGroups: Set<String> { Set(clauses.map(\.group)) }

    public var totalApprovals: Int { clauses.reduce(0) { $0 + $1.count } }

    /// Assigns distinct approvers to clause seats so that as many seats as possible are filled.
    ///
    /// Two-person integrity: one approver fills at most one seat, so a person in two groups can
    /// never satisfy two clauses alone. Greedy assignment gets this wrong (alice in both sre and
    /// payments taking the sre seat blocks bob, who is only in sre), so this is a maximum
    /// bipartite matching (augmenting paths; requirements are a handful of seats).
    public func assign(_ approvals: [Approval]) -> ClauseAssignment {
        let seats = clauses.enumerated().flatMap { index, clause in Array(repeating: index, count: clause.count) }
        var seatHolder = [Int?](repeating: nil, count: seats.count)
        var seen = Set<Username>()
        let approvers = approvals.filter { seen.insert($0.approver).inserted }

        func augment(_ approverIndex: Int, visited: inout [Bool]) -> Bool {
            for seat in seats.indices where !visited[seat] && approvers[approverIndex].groups.contains(clauses[seats[seat]].group) {
                visited[seat] = true
                if let holder = seatHolder[seat] {
                    if augment(holder, visited: &visited) {
                        seatHolder[seat] = approverIndex
                        return true
                    }
                } else {
                    seatHolder[seat] = approverIndex
                    return true
                }
            }
            return false
        }

        for approverIndex in approvers.indices {
            var visited = [Bool](repeating: false, count: seats.count)
            _ = augment(approverIndex, visited: &visited)
        }

        var filled = [[Username]](repeating: [], count: clauses.count)
        for (seat, holder) in seatHolder.enumerated() {
            if let holder { filled[seats[seat]].append(approvers[holder].approver) }
        }
        return ClauseAssignment(
            clauses: zip(clauses, filled).map { ClauseProgress(clause: $0, approvers: $1.sorted()) }
        )
    }
}

public struct ClauseProgress: Hashable, Sendable {
    public let clause: ApprovalClause
    public let approvers: [Username]

    public var isSatisfied: Bool { approvers.count >= clause.count }
}

/// The result of assigning approvers to clauses: which clauses are met and what is missing.
public struct ClauseAssignment: Hashable, Sendable, CustomStringConvertible {
    public let clauses: [ClauseProgress]

    public var isSatisfied: Bool { clauses.allSatisfy(\.isSatisfied) }

    /// "sre: 1 of 1 ✓ · payments-owners: 0 of 1"
    public var description: String {
        clauses.map { progress in
            "\(progress.clause.group): \(progress.approvers.count) of \(progress.clause.count)\(progress.isSatisfied ? " ✓" : "")"
        }.joined(separator: " · ")
    }
}
