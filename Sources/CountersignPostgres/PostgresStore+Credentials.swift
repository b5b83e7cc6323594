import CountersignCore
import CountersignStore
import Foundation
import PostgresNIO

extension PostgresStore: CredentialStore {
    public func issueCredential(
        for id: RequestID, at now: Date, _ issue: @Sendable (AccessRequest, CredentialSerial) throws -> RequestChange
    ) async throws -> IssuedCredential {
        let (credential, records) = try await transaction { connection in
            guard let current = try await RequestRows.fetch(id, forUpdate: true, on: connection, logger: logger) else {
                throw StoreError(.notFound, "no request \(id)")
            }
            let serial = try await CredentialRows.nextSerial(on: connection, logger: logger)
            let change = try issue(current, serial).checked(for: id, allocated: serial)
            guard change.request == current, let credential = change.issued.first else {
                throw StoreError(.invalidChange, "an issue for request \(id) must leave the request as it is")
            }
            return (credential, try await commit(change, replacing: current, on: connection))
        }
        auditTally.add(records)
        return credential
    }

    public func credentials(of id: RequestID) async throws -> [IssuedCredential] {
        try await read { connection in try await CredentialRows.credentials(of: id, on: connection, logger: logger) }
    }

    public func revokedCredentials(at now: Date) async throws -> [IssuedCredential] {
        try await read { connection in try await CredentialRows.revoked(at: now, on: connection, logger: logger) }
    }
}
