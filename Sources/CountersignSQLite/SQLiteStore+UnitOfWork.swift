import CountersignCore
import CountersignStore
import GRDB

extension SQLiteStore {
    /// Writes one checked unit of work inside the caller's write transaction: the request (new
    /// when there is no `current`, else its progress from `current`), the credentials it yields
    /// and the recordings they open, the notifications it sends, then its audit events. Whatever
    /// throws rolls all of it back.
    func commit(_ change: RequestChange, replacing current: AccessRequest?, in db: Database) throws {
        if let current {
            try RequestRows.persistProgress(of: change.request, from: current, in: db)
        } else {
            try RequestRows.insert(change.request, in: db)
        }
        for credential in change.issued {
            try CredentialRows.insert(credential, in: db)
        }
        for recording in change.recordings {
            try RecordingRows.insert(recording, in: db)
        }
        try OutboxRows.insert(change.notifications, in: db)
        _ = try appendAudit(change.events, in: db)
    }
}
