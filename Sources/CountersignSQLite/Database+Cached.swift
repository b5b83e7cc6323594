import CountersignStore
import GRDB

extension Database {
    /// Runs fixed SQL through the connection's statement cache. Every request change and audit
    /// append runs the same few statements; compiling (and authorising) them afresh each time
    /// cost more than the writes themselves (measured with `make bench`).
    func executeCached(sql: String, arguments: StatementArguments) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
