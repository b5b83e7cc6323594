import PostgresNIO

/// The baseline's one statement: prepared once per connection by postgres-nio, then only bound
/// and executed, so the loop measures the server's commit and the round trip, nothing else.
struct RawInsert: PostgresPreparedStatement {
    static let sql = "INSERT INTO bench_raw_inserts (payload) VALUES ($1)"
    typealias Row = ()

    let payload: String

    func makeBindings() -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(payload)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {}
}
