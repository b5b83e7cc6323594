import CountersignStore
import CountersignCore
import GRDB

extension StoreError {
    /// Maps what GRDB and SQLite throw into the store's codes. Only SQLite's own message is kept
    /// (such as "UNIQUE constraint failed: sessions.token_hash"), never the statement's arguments.
    init(translating error: any Error) {
        switch error {
        case let error as StoreError:
            self = error
        case let error as DatabaseError:
            let detail = error.message ?? "SQLite error \(error.resultCode.rawValue)"
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                self.init(.storageBusy, "the database is locked by another writer: \(detail)")
            case .SQLITE_READONLY:
                self.init(.readOnly, "the database cannot be written: \(detail)")
            case .SQLITE_NOTADB:
                self.init(.schemaMismatch, "not a Countersign database: \(detail)")
            case .SQLITE_CONSTRAINT where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY:
                // As PostgreSQL's 23505: a row that two writers raced to create.
                self.init(.alreadyExists, "the record already exists: \(detail)")
            default:
                self.init(.storageFailure, detail)
            }
        default:
            self.init(.storageFailure, "unexpected \(type(of: error))")
        }
    }

    /// As `init(translating:)`, but a decision's refusal (`DecisionRefusal`, `DomainError` among
    /// them) and a task's cancellation pass through unchanged: they are answers for the caller,
    /// not storage failures.
    static func translatingKeepingDomain(_ error: any Error) -> any Error {
        switch error {
        case is any DecisionRefusal, is CancellationError: error
        default: StoreError(translating: error)
        }
    }
}
