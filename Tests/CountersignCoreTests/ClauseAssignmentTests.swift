import Foundation
import Testing
@testable import CountersignCore

/// Requirement × approvals (in the order they arrived, each with the approver's groups) →
/// whether the requirement is met and who fills each clause.
struct AssignmentCase: Sendable, CustomTestStringConvertible {
    let name: String
    let clauses: [ApprovalClause]
    let approvals: [Approval]
    let satisfied: Bool
    let perClause: [[String]]

    init(_ name: String, _ clauses: [ApprovalClause], _ approvals: [Approval], satisfied: Bool, _ perClause: [[String]]) {
        self.name = name
        self.clauses = clauses
        self.approvals = approvals
        self.satisfied = satisfied
        self.perClause = perClause
    }

    var testDescription: String { name }
}

@Suite("Clause assignment")
struct ClauseAssignmentTests {
    static let sre = clause(1, "sre")
    static let payments = clause(1, "payments")

    static let table: [AssignmentCase] = [
        AssignmentCase(
            "no approvals satisfy nothing", [sre], [], satisfied: false, [[]]
        ),
        AssignmentCase(
            "one approver from the one group satisfies a one-clause rule",
            [sre], [approval("alice", ["sre"])], satisfied: true, [["alice"]]
        ),
        AssignmentCase(
            "an approver in no group counts for nothing",
            [sre], [approval("mallory", [])], satisfied: false, [[]]
        ),
        AssignmentCase(
            "an approver in an unrelated group counts for nothing",
            [sre], [approval("carol", ["finance"])], satisfied: false, [[]]
        ),
        AssignmentCase(
            "group names are compared exactly",
            [sre], [approval("carol", ["SRE"])], satisfied: false, [[]]
        ),
        AssignmentCase(
            "one person in two groups cannot satisfy a two-clause rule alone",
            [sre, payments], [approval("alice", ["sre", "payments"])], satisfied: false, [["alice"], []]
        ),
        AssignmentCase(
            "a matching succeeds where greedy assignment fails (alice first)",
            [sre, payments], [approval("alice", ["sre", "payments"]), approval("bob", ["sre"])],
            satisfied: true, [["bob"], ["alice"]]
        ),
        AssignmentCase(
            "a matching succeeds whatever the order (bob first)",
            [sre, payments], [approval("bob", ["sre"]), approval("alice", ["sre", "payments"])],
            satisfied: true, [["bob"], ["alice"]]
        ),
        AssignmentCase(
            "two people in the same one group cannot fill two different clauses",
            [sre, payments], [approval("bob", ["sre"]), approval("carol", ["sre"])],
            satisfied: false, [["bob"], []]
        ),
        AssignmentCase(
            "a duplicate approver is counted once",
            [clause(2, "sre")], [approval("alice", ["sre"]), approval("alice", ["sre"])],
            satisfied: false, [["alice"]]
        ),
        AssignmentCase(
            "a duplicate approver is counted once even with other groups the second time",
            [sre, payments], [approval("alice", ["sre"]), approval("alice", ["payments"])],
            satisfied: false, [["alice"], []]
        ),
        AssignmentCase(
            "two from one group need two people",
            [clause(2, "sre")], [approval("alice", ["sre"])], satisfied: false, [["alice"]]
        ),
        AssignmentCase(
            "two from one group are met by two people",
            [clause(2, "sre")], [approval("bob", ["sre"]), approval("alice", ["sre"])], satisfied: true, [["alice", "bob"]]
        ),
        AssignmentCase(
            "approvals beyond the count take no seat",
            [clause(2, "sre")], [approval("alice", ["sre"]), approval("bob", ["sre"]), approval("carol", ["sre"])],
            satisfied: true, [["alice", "bob"]]
        ),
        AssignmentCase(
            "three people cover two from sre and one from payments when one of them moves seats",
            [clause(2, "sre"), payments],
            [approval("alice", ["sre", "payments"]), approval("bob", ["sre"]), approval("carol", ["sre"])],
            satisfied: true, [["bob", "carol"], ["alice"]]
        ),
        AssignmentCase(
            "two people cannot cover three seats",
            [clause(2, "sre"), payments], [approval("alice", ["sre", "payments"]), approval("bob", ["sre"])],
            satisfied: false, [["alice", "bob"], []]
        ),
        AssignmentCase(
            "a chain of moves fills three clauses",
            [sre, payments, clause(1, "dba")],
            [approval("alice", ["sre", "payments", "dba"]), approval("bob", ["sre", "payments"]), approval("carol", ["sre"])],
            satisfied: true, [["carol"], ["bob"], ["alice"]]
        ),
        AssignmentCase(
            "an approver in no group beside qualified ones changes nothing",
            [sre, payments], [approval("mallory", []), approval("bob", ["sre"]), approval("dave", ["payments"])],
            satisfied: true, [["bob"], ["dave"]]
        ),
        AssignmentCase(
            "the same group named in two clauses needs distinct people for each",
            [sre, sre], [approval("alice", ["sre"])], satisfied: false, [["alice"], []]
        ),
    ]

    @Test("approvers are matched to clause seats", arguments: table)
    func assignment(_ row: AssignmentCase) {
        let result = requirement(row.clauses).assign(row.approvals)
        #expect(result.isSatisfied == row.satisfied)
        #expect(result.clauses.map(\.clause) == row.clauses)
        #expect(result.clauses.map { $0.approvers.map(\.rawValue) } == row.perClause)
    }

    @Test("no approver ever holds two seats, and every seat holder is in the seat's group", arguments: table)
    func integrity(_ row: AssignmentCase) {
        let result = requirement(row.clauses).assign(row.approvals)
        let seated = result.clauses.flatMap(\.approvers)
        #expect(Set(seated).count == seated.count)
        for progress in result.clauses {
            #expect(progress.approvers.count <= progress.clause.count)
            for approver in progress.approvers {
                let groups = row.approvals.first { $0.approver == approver }?.groups ?? []
                #expect(groups.contains(progress.clause.group))
            }
        }
    }

    @Test("progress reads as each clause's count of count")
    func progressDescription() {
        let result = requirement([Self.sre, clause(2, "payments")]).assign([approval("bob", ["sre"]), approval("dave", ["payments"])])
        #expect(result.description == "sre: 1 of 1 ✓ · payments: 1 of 2")
    }

    @Test("a requirement names its reviewer groups and total approvals")
    func reviewerGroups() {
        let required = requirement([clause(2, "sre"), Self.payments, clause(1, "sre")])
        #expect(required.reviewerGroups == ["sre", "payments"])
        #expect(required.totalApprovals == 4)
    }

    @Test(
        "a clause asks for 1 to 16 approvals from a valid group",
        arguments: [(1, "sre", true), (16, "sre", true), (0, "sre", false), (-1, "sre", false), (17, "sre", false),
                    (1, "", false), (1, "SRE", false), (1, "*", false)]
    )
    func clauseBounds(count: Int, group: String, valid: Bool) {
        let error = refusal { () throws(DomainError) in try ApprovalClause(count: count, group: group) }
        #expect((error == nil) == valid)
        if !valid { #expect(error?.code == .invalidField) }
    }

    @Test("a requirement needs at least one clause")
    func emptyRequirement() {
        let error = refusal { () throws(DomainError) in try ApprovalRequirement(clauses: [], hardwareKeyRequired: false) }
        #expect(error?.code == .invalidField)
    }
}
