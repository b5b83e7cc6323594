import CountersignStore
import CountersignCore
import Foundation
import GRDB

/// One row read back from disk, decoded without trusting it: a missing column, a wrong type or a
/// value the domain refuses becomes `corrupt_row` naming the table and key, never a crash.
struct StoredRow {
    let row: Row
    let table: String
    let key: String

    func value<Value: DatabaseValueConvertible>(_ column: String, as type: Value.Type = Value.self) throws(StoreError) -> Value {
        do {
            return try row.decode(Value.self, forColumn: column)
        } catch {
            throw corrupt("\(column) is missing or not of its type")
        }
    }

    /// The value at `index` of a statement whose columns are fixed in the code: read by position,
    /// a row costs no name lookups. `column` names it in a refusal.
    func value<Value: DatabaseValueConvertible & StatementColumnConvertible>(
        at index: Int, _ column: String, as type: Value.Type = Value.self
    ) throws(StoreError) -> Value {
        guard index < row.count else { throw corrupt("\(column) is missing") }
        do {
            return try row.decode(Value.self, atIndex: index)
        } catch {
            throw corrupt("\(column) is not of its type")
        }
    }

    func optionalValue<Value: DatabaseValueConvertible & StatementColumnConvertible>(
        at index: Int, _ column: String, as type: Value.Type = Value.self
    ) throws(StoreError) -> Value? {
        guard index < row.count else { throw corrupt("\(column) is missing") }
        guard !row.hasNull(atIndex: index) else { return nil }
        return try value(at: index, column, as: Value.self)
    }

    /// A BLOB of any length at `index`, copied once out of SQLite's buffer.
    func optionalBlob(at index: Int, _ column: String) throws(StoreError) -> [UInt8]? {
        guard index < row.count else { throw corrupt("\(column) is missing") }
        do {
            return try row.withUnsafeData(atIndex: index) { data in data.map { Array($0) } }
        } catch {
            throw corrupt("\(column) is not of its type")
        }
    }

    func blob(at index: Int, _ column: String) throws(StoreError) -> [UInt8] {
        guard let bytes = try optionalBlob(at: index, column) else { throw corrupt("\(column) is missing or not of its type") }
        return bytes
    }

    func time(_ column: String) throws(StoreError) -> Date {
        Date(millisecondsSinceEpoch: try value(column, as: Int64.self))
    }

    func bytes(_ column: String, count: Int) throws(StoreError) -> [UInt8] {
        let data = try value(column, as: Data.self)
        guard data.count == count else { throw corrupt("\(column) is \(data.count) bytes, not \(count)") }
        return Array(data)
    }

    /// A BLOB of any length.
    func blob(_ column: String) throws(StoreError) -> [UInt8] {
        Array(try value(column, as: Data.self))
    }

    func optionalBlob(_ column: String) throws(StoreError) -> [UInt8]? {
        try value(column, as: Data?.self).map { Array($0) }
    }

    /// A text column parsed by a domain initialiser, which checks its shape.
    func domain<Value>(_ column: String, _ parse: (String) throws(DomainError) -> Value) throws(StoreError) -> Value {
        let text = try value(column, as: String.self)
        do {
            return try parse(text)
        } catch {
            throw corrupt("\(column): \(error.message)")
        }
    }

    func json<Value: Decodable>(_ column: String, as type: Value.Type) throws(StoreError) -> Value {
        let text = try value(column, as: String.self)
        do {
            return try StoredJSON.decode(Value.self, from: text)
        } catch {
            throw corrupt("\(column) is not the expected JSON")
        }
    }

    func corrupt(_ reason: String) -> StoreError {
        .corruptRow(table: table, key: key, reason)
    }
}
