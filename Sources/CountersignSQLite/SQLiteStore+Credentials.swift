import CountersignCore
import CountersignStore
import Foundation
import GRDB

extension SQLiteStore {
    public func issueCredential<Made: Sendable>(
        for id: RequestID, at now: Date, _ issue: @Sendable (AccessRequest, CredentialSerial) throws -> (change: RequestChange, made: Made)
    ) async throws -> Made {
        try await write { db in
            guard let current = try RequestRows.fetch(id, in: db) else {
                throw StoreError(.notFound, "no request \(id)")
            }
            let serial = try CredentialRows.nextSerial(in: db)
            let (unchecked, made) = try issue(current, serial)
            let change = try unchecked.checkedIssue(for: id, replacing: current, allocated: serial)
            try commit(change, replacing: current, in: db)
            return made
        }
    }

    public func credentials(of id: RequestID) async throws -> [IssuedCredential] {
        try await read { db in try CredentialRows.credentials(of: id, in: db) }
    }

    public func revokedCredentials(at now: Date) async throws -> [IssuedCredential] {
        try await read { db in try CredentialRows.revoked(at: now, in: db) }
    }
}
