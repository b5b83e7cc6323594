import CountersignCore
import CountersignStore
import Foundation
import GRDB

extension SQLiteStore {
    public func issueCredential(
        for id: RequestID, at now: Date, _ issue: @Sendable (AccessRequest, CredentialSerial) throws -> RequestChange
    ) async throws -> IssuedCredential {
        try await write { db in
            guard let current = try RequestRows.fetch(id, in: db) else {
                throw StoreError(.notFound, "no request \(id)")
            }
            let serial = try CredentialRows.nextSerial(in: db)
            let change = try issue(current, serial).checked(for: id, allocated: serial)
            guard change.request == current, let credential = change.issued.first else {
                throw StoreError(.invalidChange, "an issue for request \(id) must leave the request as it is")
            }
            try commit(change, replacing: current, in: db)
            return credential
        }
    }

    public func credentials(of id: RequestID) async throws -> [IssuedCredential] {
        try await read { db in try CredentialRows.credentials(of: id, in: db) }
    }

    public func revokedCredentials(at now: Date) async throws -> [IssuedCredential] {
        try await read { db in try CredentialRows.revoked(at: now, in: db) }
    }
}
