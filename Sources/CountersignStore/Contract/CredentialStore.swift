import CountersignCore
import Foundation

/// Credentials issued for approved requests, by serial: what revocation lists and audits read.
public protocol CredentialStore: Sendable {
    /// Issues a credential for a request, in one transaction: locks the request, allocates the
    /// next serial (greater than every serial before it, never reused), asks `issue` for the unit
    /// of work and what it made (given the request and the serial; normally `CredentialRules.grant`,
    /// signing, then `CredentialRules.issue`), commits the unit of work with its credential and
    /// events, and only then returns what was made; or commits nothing. The unit leaves the
    /// request as it is, except for the rollout start a deploy token may come with
    /// (`RequestChange.checkedIssue`).
    func issueCredential<Made: Sendable>(
        for id: RequestID, at now: Date, _ issue: @Sendable (AccessRequest, CredentialSerial) throws -> (change: RequestChange, made: Made)
    ) async throws -> Made

    /// The credentials issued for a request, by serial.
    func credentials(of id: RequestID) async throws -> [IssuedCredential]

    /// Every credential a revocation list must name at `now` (`CredentialRules.mustBeRevoked`),
    /// by serial.
    func revokedCredentials(at now: Date) async throws -> [IssuedCredential]
}
