import CountersignCore
import Foundation

/// Enrolled hardware keys, their invites and one-time ceremony challenges, and approvals made
/// with them.
public protocol HardwareKeyStore: Sendable {
    /// Stores an invite (by the hash of its code) with its audit event.
    func createInvite(_ invite: EnrolmentInvite, event: AuditEvent) async throws

    /// The user's WebAuthn user handle: 16 random bytes, created on first use.
    func userHandle(for user: Username) async throws -> [UInt8]

    /// The keys enrolled for `user`, oldest first.
    func keys(of user: Username) async throws -> [EnrolledKey]

    /// Stores a challenge to be answered once. Refused with `limitReached` when the user already
    /// holds `CeremonyChallenge.maximumOpenPerUser` unexpired, unanswered ones.
    func openChallenge(_ challenge: CeremonyChallenge, at now: Date) async throws

    /// Enrols a key, in one transaction: redeems the registration challenge and the invite for
    /// `user`, asks `verify` for the key (given the challenge, the user handle and the user's
    /// keys), refuses a credential id already enrolled by anyone, stores the key and `events`.
    func enrolKey(
        challengeID: String, inviteCodeHash: [UInt8], user: Username, at now: Date,
        _ verify: @Sendable (_ challenge: CeremonyChallenge, _ userHandle: [UInt8], _ keys: [EnrolledKey]) throws -> (EnrolledKey, [AuditEvent])
    ) async throws -> EnrolledKey

    /// Forgets challenges answered or past their lifetime at `now`; returns how many. A spent
    /// approval challenge needs no keeping: its nonce is stored with the approval's evidence.
    @discardableResult
    func deleteStaleChallenges(at now: Date) async throws -> Int

    /// Removes one of `owner`'s keys with its audit event (an admin's removal). False, and
    /// nothing audited, if there was none.
    @discardableResult
    func removeKey(credentialID: [UInt8], owner: Username, event: AuditEvent) async throws -> Bool

    /// Removes one of `owner`'s keys on a touch of another of their keys, in one transaction:
    /// redeems the key-removal challenge, asks `verify` (given it and the owner's keys) for the
    /// key that answered with its new counter and the events, holds them to
    /// `HardwareKeyRules.checkRemoval`, then removes the target.
    func removeKeyWithTouch(
        challengeID: String, owner: Username, at now: Date,
        _ verify: @Sendable (_ challenge: CeremonyChallenge, _ keys: [EnrolledKey]) throws -> (usedKey: EnrolledKey, events: [AuditEvent])
    ) async throws

    /// Completes a hardware-key approval in one transaction: redeems the approval challenge for
    /// `approver` (then spent whatever follows), loads the request and the approver's keys, and
    /// commits what `decide` returns. A `.refused` outcome still commits its events and flagged
    /// key, then throws its error.
    func approveWithKey(
        challengeID: String, approver: Username, at now: Date,
        _ decide: @Sendable (_ request: AccessRequest, _ challenge: ApprovalChallenge, _ keys: [EnrolledKey]) throws -> KeyApprovalOutcome
    ) async throws -> AccessRequest

    /// Spends a statement challenge (breaking glass, a review's verdict) on a touch of one of
    /// `person`'s keys, in one transaction: redeems it, asks `verify` (given it and the person's
    /// keys) for the key that answered, with its new counter, and stores that counter. What the
    /// statement then does commits on its own: a touch proves who said it, once.
    func answerStatement(
        challengeID: String, person: Username, at now: Date,
        _ verify: @Sendable (_ challenge: StatementChallenge, _ keys: [EnrolledKey]) throws -> EnrolledKey
    ) async throws -> StatementChallenge
}
