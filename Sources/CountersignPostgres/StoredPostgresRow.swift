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

/// A row of a query whose columns are fixed in the code, read by position: no table of names is
/// built for each row. `column` names a value in a refusal.
struct StoredPostgresCells {
    let cells: [PostgresCell]
    let table: String
    let key: String

    /// `key` names the row from its cells, or "?" when even that is unreadable.
    init(_ row: PostgresRow, table: String, key: ([PostgresCell]) -> String) {
        cells = Array(row)
        self.table = table
        self.key = key(cells)
    }

    func value<Value: PostgresDecodable>(at index: Int, _ column: String, as type: Value.Type = Value.self) throws(StoreError) -> Value {
        guard cells.indices.contains(index) else { throw corrupt("\(column) is missing") }
        do {
            return try cells[index].decode(Value.self)
        } catch {
            throw corrupt("\(column) is missing or not of its type")
        }
    }

    /// A BYTEA column.
    func bytes(at index: Int, _ column: String) throws(StoreError) -> [UInt8] {
        Array(try value(at: index, column, as: ByteBuffer.self).readableBytesView)
    }

    func optionalBytes(at index: Int, _ column: String) throws(StoreError) -> [UInt8]? {
        try value(at: index, column, as: ByteBuffer?.self).map { Array($0.readableBytesView) }
    }

    func corrupt(_ reason: String) -> StoreError {
        .corruptRow(table: table, key: key, reason)
    }

    /// A cell's text for naming the row in messages, or "?".
    static func text(at index: Int, of cells: [PostgresCell]) -> String {
        guard cells.indices.contains(index) else { return "?" }
        return (try? cells[index].decode(String.self)) ?? "?"
    }

    /// A cell's integer for naming the row in messages, or "?".
    static func number(at index: Int, of cells: [PostgresCell]) -> String {
        guard cells.indices.contains(index) else { return "?" }
        return (try? cells[index].decode(Int64.self)).map(String.init) ?? "?"
    }
}
