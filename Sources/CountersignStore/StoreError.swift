import SecureFiles

/// The one error type of the store. `code` is stable (tests and the HTTP layer compare it);
/// `message` is for people and never carries a secret, a token or a statement argument.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The request, session or file asked for does not exist.
        case notFound = "not_found"
        /// A request id, session or destination file is already taken.
        case alreadyExists = "already_exists"
        /// The file is not a Countersign database, or one of another schema version.
        case schemaMismatch = "schema_mismatch"
        /// The database could not be read or written (I/O, disk full, constraint).
        case storageFailure = "storage_failure"
        /// Another writer held the database for longer than the busy timeout.
        case storageBusy = "storage_busy"
        /// A write was attempted through a store opened read-only.
        case readOnly = "read_only"
        /// A stored row does not decode into a domain value: edited or damaged outside the gateway.
        case corruptRow = "corrupt_row"
        /// A request's stored content no longer matches the digest its approvals are bound to:
        /// tampering, not an outage. `subject` names the request.
        case integrityViolation = "integrity_violation"
        /// A listing query is out of its bounds (limit, search length).
        case invalidQuery = "invalid_query"
        /// A decision returned a change the store will not persist (another request, rewritten approvals).
        case invalidChange = "invalid_change"
        /// A per-user bound on open items (challenges) is reached.
        case limitReached = "limit_reached"
        /// The backend does not offer this operation (a file backup of a database server's
        /// database); the message names what to use instead.
        case unsupported = "unsupported"
    }

    public let code: Code
    public let message: String
    /// The record the error is about, where one is named (the request of an integrity violation).
    public let subject: String?

    public init(_ code: Code, _ message: String, subject: String? = nil) {
        self.code = code
        self.message = message
        self.subject = subject
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// A file the store creates (the database, a backup) that the system refused.
    public init(_ error: SecureFileError) {
        self.init(error.code == .alreadyExists ? .alreadyExists : .storageFailure, error.message)
    }

    public static func corruptRow(table: String, key: String, _ reason: String) -> StoreError {
        StoreError(.corruptRow, "\(table) row \(key) is damaged: \(reason)")
    }
}
