import CountersignCore
import CountersignStore
import GRDB

extension SQLiteStore {
    public func breakGlassGrants(_ query: BreakGlassQuery) async throws -> [AccessRequest] {
        let (sql, arguments) = BreakGlassRows.listing(query)
        return try await read { db in
            let grants = try RequestRows.fetchAll(db.cachedStatement(sql: sql), arguments: arguments, in: db)
            // A grants row beside a request of another kind was put there behind the gateway's back.
            if let stray = grants.first(where: { $0.kind != .breakGlass }) {
                throw StoreError.corruptRow(table: "break_glass_grants", key: stray.id.rawValue, "the row of a \(stray.kind) request")
            }
            return grants
        }
    }
}
