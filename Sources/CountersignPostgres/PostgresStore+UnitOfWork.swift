import CountersignCore
import CountersignStore
import PostgresNIO

extension PostgresStore {
    /// Writes one checked unit of work inside the caller's transaction: the request (new when
    /// there is no `current`, else its progress from `current`), the credentials it yields and the
    /// recordings they open, the notifications it sends, then its audit events, the chain's head
    /// locked last. Returns how many events it appended, for the tally once the transaction
    /// commits. Whatever throws rolls all of it back.
    func commit(_ change: RequestChange, replacing current: AccessRequest?, on connection: PostgresConnection) async throws -> Int {
        if let current {
            try await RequestRows.persistProgress(of: change.request, from: current, on: connection, logger: logger)
        } else {
            guard try await RequestRows.insert(change.request, on: connection, logger: logger) else {
                throw StoreError(.alreadyExists, "request \(change.request.id) already exists")
            }
        }
        for credential in change.issued {
            try await CredentialRows.insert(credential, on: connection, logger: logger)
        }
        for recording in change.recordings {
            try await RecordingRows.insert(recording, on: connection, logger: logger)
        }
        try await OutboxRows.insert(change.notifications, on: connection, logger: logger)
        return try await append(change.events, on: connection).count
    }
}
