import CountersignStore
import Foundation
import PostgresNIO

/// One row read back from PostgreSQL, decoded without trusting it: a missing column or a value
/// not of its type becomes `corrupt_row` naming the table and key, never a crash. What the values
/// mean is the shared `Stored…` types' business.
struct StoredPostgresRow {
    let row: PostgresRandomAccessRow
    let table: String
    let key: String

    init(_ row: PostgresRow, table: String, key: (PostgresRandomAccessRow) -> String) {
        let access = row.makeRandomAccess()
        self.row = access
        self.table = table
        self.key = key(access)
    }

    func value<Value: PostgresDecodable>(_ column: String, as type: Value.Type = Value.self) throws(StoreError) -> Value {
        guard row.contains(column) else { throw corrupt("\(column) is missing") }
        do {
            return try row[column].decode(Value.self)
        } catch {
            throw corrupt("\(column) is missing or not of its type")
        }
    }

    /// A BYTEA column.
    func bytes(_ column: String) throws(StoreError) -> [UInt8] {
        Array(try value(column, as: Data.self))
    }

    func optionalBytes(_ column: String) throws(StoreError) -> [UInt8]? {
        try value(column, as: Data?.self).map { Array($0) }
    }

    func corrupt(_ reason: String) -> StoreError {
        .corruptRow(table: table, key: key, reason)
    }

    /// A text column's value for naming the row in messages, or "?" when even that is unreadable.
    static func text(_ column: String, of row: PostgresRandomAccessRow) -> String {
        guard row.contains(column) else { return "?" }
        return (try? row[column].decode(String.self)) ?? "?"
    }

    /// An integer column's value for naming the row in messages, or "?" when even that is unreadable.
    static func number(_ column: String, of row: PostgresRandomAccessRow) -> String {
        guard row.contains(column) else { return "?" }
        return (try? row[column].decode(Int64.self)).map(String.init) ?? "?"
    }
}
