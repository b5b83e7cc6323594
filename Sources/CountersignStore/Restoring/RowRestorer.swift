import CountersignCore
import Foundation

/// Checks raw column values on their way back into domain values, naming the table and key of the
/// row in every refusal: whatever a backend's row type, a value the domain refuses becomes
/// `corrupt_row`, never a crash and never a value that skipped its checks.
struct RowRestorer {
    let table: String
    let key: String

    func corrupt(_ reason: String) -> StoreError {
        .corruptRow(table: table, key: key, reason)
    }

    func time(_ milliseconds: Int64) -> Date {
        Date(millisecondsSinceEpoch: milliseconds)
    }

    func time(_ milliseconds: Int64?) -> Date? {
        milliseconds.map(Date.init(millisecondsSinceEpoch:))
    }

    func bytes(_ value: [UInt8], _ column: String, count: Int) throws(StoreError) -> [UInt8] {
        guard value.count == count else { throw corrupt("\(column) is \(value.count) bytes, not \(count)") }
        return value
    }

    /// A text column parsed by a domain initialiser, which checks its shape.
    func domain<Value>(_ text: String, _ column: String, _ parse: (String) throws(DomainError) -> Value) throws(StoreError) -> Value {
        do {
            return try parse(text)
        } catch {
            throw corrupt("\(column): \(error.message)")
        }
    }

    /// A JSON column in one of the shapes `StoredJSONReader` reads.
    func json<Value>(
        _ text: String, _ column: String, _ read: (inout StoredJSONReader) throws(StoredJSONReader.Failure) -> Value
    ) throws(StoreError) -> Value {
        do {
            return try StoredJSONReader.read(text, read)
        } catch {
            switch error {
            case .tooLarge: throw corrupt("\(column) is longer than \(StoredJSONReader.maximumBytes) bytes")
            case .malformed(let reason): throw corrupt("\(column) is not the expected JSON: \(reason)")
            }
        }
    }

    /// A domain value rebuilt from several columns.
    func build<Value>(_ what: String, _ make: () throws(DomainError) -> Value) throws(StoreError) -> Value {
        do {
            return try make()
        } catch {
            throw corrupt("\(what): \(error.message)")
        }
    }
}
