import CountersignCore
import CountersignStore
import PostgresNIO

extension PostgresStore: BreakGlassStore {
    public func breakGlassGrants(_ query: BreakGlassQuery) async throws -> [AccessRequest] {
        let grants = try await read { connection in try await RequestRows.fetchAll(BreakGlassRows.listing(query), on: connection, logger: logger) }
        // A grants row beside a request of another kind was put there behind the gateway's back.
        if let stray = grants.first(where: { $0.kind != .breakGlass }) {
            throw StoreError.corruptRow(table: "break_glass_grants", key: stray.id.rawValue, "the row of a \(stray.kind) request")
        }
        return grants
    }
}
