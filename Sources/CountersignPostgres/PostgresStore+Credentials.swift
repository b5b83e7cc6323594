import CountersignCore
import CountersignStore
import Foundation
import PostgresNIO

extension PostgresStore: CredentialStore {
    public func issueCredential<Made: Sendable>(
        for id: RequestID, at now: Date, _ issue: @Sendable (AccessRequest, CredentialSerial) throws -> (change: RequestChange, made: Made)
    ) async throws -> Made {
        let (made, records) = try await transaction { connection in
            guard let current = try await RequestRows.fetch(id, forUpdate: true, on: connection, logger: logger) else {
                throw StoreError(.notFound, "no request \(id)")
            }
            let serial = try await CredentialRows.nextSerial(on: connection, logger: logger)
            let (unchecked, made) = try issue(current, serial)
            let change = try unchecked.checkedIssue(for: id, replacing: current, allocated: serial)
            return (made, try await commit(change, replacing: current, on: connection))
        }
        auditTally.add(records)
        return made
    }

    public func credentials(of id: RequestID) async throws -> [IssuedCredential] {
        try await read { connection in try await CredentialRows.credentials(of: id, on: connection, logger: logger) }
    }

    public func revokedCredentials(at now: Date) async throws -> [IssuedCredential] {
        try await read { connection in try await CredentialRows.revoked(at: now, on: connection, logger: logger) }
    }
}
