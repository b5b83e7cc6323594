import CountersignCore
import CountersignStore
import Foundation
import PostgresNIO

extension PostgresStore: MachineTokenStore {
    public func createMachineToken(_ creation: MachineTokenChange) async throws {
        let appended = try await transaction { connection in
            guard try await MachineTokenRows.insert(creation.token, on: connection, logger: logger) else {
                throw StoreError(.alreadyExists, "a machine token named \(creation.token.name), or with this secret, already exists")
            }
            return try await append(creation.events, on: connection).count
        }
        auditTally.add(appended)
    }

    public func machineTokens() async throws -> [MachineToken] {
        try await read { connection in try await MachineTokenRows.all(on: connection, logger: logger) }
    }

    public func machineToken(secretHash: [UInt8]) async throws -> MachineToken? {
        try await read { connection in try await MachineTokenRows.token(secretHash: secretHash, on: connection, logger: logger) }
    }

    public func revokeMachineToken(
        named name: MachineTokenName, at now: Date, _ decide: @Sendable (MachineToken) throws -> MachineTokenChange
    ) async throws -> MachineToken {
        let (token, appended) = try await transaction { connection -> (MachineToken, Int) in
            guard let current = try await MachineTokenRows.lock(named: name, on: connection, logger: logger) else {
                throw StoreError(.notFound, "no machine token named \(name)")
            }
            guard let change = try decide(current).revocationToPersist(from: current) else { return (current, 0) }
            try await MachineTokenRows.persistRevocation(of: change.token, on: connection, logger: logger)
            return (change.token, try await append(change.events, on: connection).count)
        }
        auditTally.add(appended)
        return token
    }
}
