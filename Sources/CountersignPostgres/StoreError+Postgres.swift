import CountersignStore
import PostgresNIO

extension StoreError {
    /// A PostgreSQL failure as the store's typed error. The message names the class of failure
    /// and the server's SQLSTATE, never the query or its arguments.
    init(translating error: any Error) {
        if let error = error as? StoreError {
            self = error
            return
        }
        guard let error = error as? PSQLError else {
            self.init(.storageFailure, "the database could not be reached")
            return
        }
        let state = error.serverInfo?[.sqlState]
        switch state {
        case "23505": self.init(.alreadyExists, "the record already exists")
        case "40001", "40P01", "55P03": self.init(.storageBusy, "the database is busy (SQLSTATE \(state ?? ""))")
        case let state?: self.init(.storageFailure, "the database refused the operation (SQLSTATE \(state))")
        case nil: self.init(.storageFailure, "the database connection failed (\(error.code))")
        }
    }

    /// As `init(translating:)`, but a decision's refusal is rethrown unchanged.
    static func translatingKeepingDomain(_ error: any Error) -> any Error {
        switch error {
        case is any DecisionRefusal, is CancellationError: error
        default: StoreError(translating: error)
        }
    }
}
