@testable import CountersignSQLite
import CountersignCore
import CountersignStore
import Foundation
import GRDB
import Testing

/// Each listing of grants reads its own index, in its order: a sweep costs the same with a
/// million closed grants as with none.
@Suite("Listing break-glass grants by index")
struct BreakGlassListingPlanTests {
    static let cases: [(String, BreakGlassQuery.Selection)] = [
        ("break_glass_grants_by_grant", .all),
        ("break_glass_grants_unreviewed", .unreviewed),
        ("break_glass_grants_escalation_due", .escalationDue(at: Date(millisecondsSinceEpoch: 1_800_000_000_000))),
        ("requests_open_break_glass", .open),
    ]

    @Test("every selection is answered from its index, without sorting", arguments: cases.map(\.0))
    func indexed(_ index: String) async throws {
        let selection = try #require(Self.cases.first { $0.0 == index }?.1)
        try await withScratchStore { scratch in
            let (sql, arguments) = BreakGlassRows.listing(try BreakGlassQuery(selection, limit: 10))
            let plan = try await scratch.store.database.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN \(sql)", arguments: arguments).map { row -> String in row["detail"] }
            }
            #expect(plan.contains { $0.contains("USING INDEX \(index)") || $0.contains("USING COVERING INDEX \(index)") }, "\(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
        }
    }
}
