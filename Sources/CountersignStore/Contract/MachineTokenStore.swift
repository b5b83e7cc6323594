import CountersignCore
import Foundation

/// Machine tokens for deploy tooling, kept by the SHA-256 of their secret only. A token is never
/// deleted: a revoked one keeps its name, so a name in the audit trail always means one token.
public protocol MachineTokenStore: Sendable {
    /// Stores a new token with its events (`MachineTokenRules.create`), in one transaction.
    /// `alreadyExists` when the name, or the secret hash, is taken by any token ever made,
    /// revoked and expired ones included.
    func createMachineToken(_ creation: MachineTokenChange) async throws

    /// Every token ever made, revoked and expired ones included, by name.
    func machineTokens() async throws -> [MachineToken]

    /// The token whose secret hashes to `secretHash`, in whatever state it is, or nil: an indexed
    /// lookup, asked on every request a machine presents a token for.
    func machineToken(secretHash: [UInt8]) async throws -> MachineToken?

    /// Revokes the token named `name`, in one transaction: loads it (locked against a concurrent
    /// revocation), asks `decide` what it becomes (normally `MachineTokenRules.revoke`), persists
    /// that with its events, and returns it. A change with no events writes nothing. `notFound`
    /// when there is no such token; `invalidChange` when `decide` returns another token, or one
    /// changed other than by its revocation.
    func revokeMachineToken(
        named name: MachineTokenName, at now: Date, _ decide: @Sendable (MachineToken) throws -> MachineTokenChange
    ) async throws -> MachineToken
}

extension MachineTokenChange {
    /// Holds a revocation's change to what a store may persist, and says whether there is
    /// anything to write: nil for the token as it stands with no events (already revoked);
    /// otherwise the same token newly revoked, with the events that audit it.
    public func revocationToPersist(from current: MachineToken) throws(StoreError) -> MachineTokenChange? {
        guard token.isRevocation(of: current) else {
            throw StoreError(.invalidChange, "a revocation of machine token \(current.name) may change only its revocation")
        }
        guard token != current else {
            guard events.isEmpty else { throw StoreError(.invalidChange, "machine token \(current.name) is unchanged, but events were given") }
            return nil
        }
        guard !events.isEmpty else { throw StoreError(.invalidChange, "the revocation of machine token \(current.name) must be audited") }
        return self
    }
}
