import CountersignCore
import CountersignStore
import Foundation
import GRDB

extension SQLiteStore {
    public func createMachineToken(_ creation: MachineTokenChange) async throws {
        try await write { db in
            // Checked first for a message that names the token; the UNIQUE constraints still hold
            // against anything that slips past (a writer in another process).
            guard try MachineTokenRows.token(named: creation.token.name, in: db) == nil else {
                throw StoreError(.alreadyExists, "a machine token named \(creation.token.name) already exists")
            }
            try MachineTokenRows.insert(creation.token, in: db)
            _ = try appendAudit(creation.events, in: db)
        }
    }

    public func machineTokens() async throws -> [MachineToken] {
        try await read { db in try MachineTokenRows.all(in: db) }
    }

    public func machineToken(secretHash: [UInt8]) async throws -> MachineToken? {
        try await read { db in try MachineTokenRows.token(secretHash: secretHash, in: db) }
    }

    public func revokeMachineToken(
        named name: MachineTokenName, at now: Date, _ decide: @Sendable (MachineToken) throws -> MachineTokenChange
    ) async throws -> MachineToken {
        try await write { db in
            guard let current = try MachineTokenRows.token(named: name, in: db) else {
                throw StoreError(.notFound, "no machine token named \(name)")
            }
            guard let change = try decide(current).revocationToPersist(from: current) else { return current }
            try MachineTokenRows.persistRevocation(of: change.token, in: db)
            _ = try appendAudit(change.events, in: db)
            return change.token
        }
    }
}
