import CountersignCore
import CountersignStore
import Foundation
import PostgresNIO

extension PostgresStore: HardwareKeyStore {
    /// The advisory-lock class of per-user challenge bounds (the two-key form, a key space apart
    /// from the one-key migration lock): two gateways opening challenges for one user take turns,
    /// so neither can count past the bound the other is about to fill.
    static let challengeBoundLock: Int32 = 0x4353_4348

    public func createInvite(_ invite: EnrolmentInvite, event: AuditEvent) async throws {
        let records = try await transaction { connection in
            guard try await KeyRows.insert(invite, on: connection, logger: logger) else {
                throw StoreError(.alreadyExists, "an invite with this code already exists")
            }
            return try await append([event], on: connection)
        }
        auditTally.add(records.count)
    }

    public func userHandle(for user: Username) async throws -> [UInt8] {
        try await transaction { connection in try await KeyRows.userHandle(for: user, on: connection, logger: logger) }
    }

    public func keys(of user: Username) async throws -> [EnrolledKey] {
        try await read { connection in try await KeyRows.keys(of: user, forUpdate: false, on: connection, logger: logger) }
    }

    public func openChallenge(_ challenge: CeremonyChallenge, at now: Date) async throws {
        let issuedBy = now.addingTimeInterval(-ApprovalChallenge.lifetime).millisecondsSinceEpoch
        let user = challenge.user.rawValue
        try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.challengeBoundLock), hashtext(\(user)))", logger: logger)
            // The user's own stale challenges go first, so only live ones count against the bound.
            try await connection.query("""
                DELETE FROM ceremony_challenges WHERE username = \(user) AND (used_at IS NOT NULL OR issued_at <= \(issuedBy))
                """, logger: logger)
            var open: Int64 = 0
            for try await count in try await connection.query(
                "SELECT count(*) FROM ceremony_challenges WHERE username = \(user)", logger: logger
            ).decode(Int64.self) {
                open = count
            }
            guard open < CeremonyChallenge.maximumOpenPerUser else {
                throw StoreError(.limitReached, "too many ceremonies in progress; finish or wait for one to expire")
            }
            try await KeyRows.insert(challenge, on: connection, logger: logger)
        }
    }

    public func enrolKey(
        challengeID: String, inviteCodeHash: [UInt8], user: Username, at now: Date,
        _ verify: @Sendable (CeremonyChallenge, [UInt8], [EnrolledKey]) throws -> (EnrolledKey, [AuditEvent])
    ) async throws -> EnrolledKey {
        let (key, records) = try await transaction { connection in
            guard let challenge = try await KeyRows.lockChallenge(challengeID, on: connection, logger: logger),
                  case .registration = challenge.purpose else {
                throw StoreError(.notFound, "no registration ceremony \(challengeID)")
            }
            let spentChallenge = try challenge.redeem(by: user, at: now)
            guard let invite = try await KeyRows.lockInvite(inviteCodeHash, on: connection, logger: logger) else {
                throw DomainError(.forbidden, "this invite code is not valid")
            }
            let spentInvite = try invite.redeem(by: user, at: now)
            let handle = try await KeyRows.userHandle(for: user, on: connection, logger: logger)
            let (key, events) = try verify(spentChallenge, handle, try await KeyRows.keys(of: user, forUpdate: true, on: connection, logger: logger))
            guard key.owner == user else { throw StoreError(.invalidChange, "a key for \(user) was returned for \(key.owner)") }
            guard try await KeyRows.key(key.credentialID, on: connection, logger: logger) == nil else {
                throw DomainError(.invalidState, "this security key is already enrolled")
            }
            try await KeyRows.markUsed(spentChallenge, on: connection, logger: logger)
            try await KeyRows.markUsed(spentInvite, on: connection, logger: logger)
            try await KeyRows.insert(key, on: connection, logger: logger)
            return (key, try await append(events, on: connection).count)
        }
        auditTally.add(records)
        return key
    }

    @discardableResult
    public func deleteStaleChallenges(at now: Date) async throws -> Int {
        let issuedBy = now.addingTimeInterval(-ApprovalChallenge.lifetime).millisecondsSinceEpoch
        return try await transaction { connection in
            try await Self.count(connection.query(
                "DELETE FROM ceremony_challenges WHERE used_at IS NOT NULL OR issued_at <= \(issuedBy) RETURNING 1", logger: logger
            ))
        }
    }

    @discardableResult
    public func removeKey(credentialID: [UInt8], owner: Username, event: AuditEvent) async throws -> Bool {
        let records = try await transaction { connection -> [AuditRecord] in
            let removed = try await Self.count(connection.query(
                "DELETE FROM enrolled_keys WHERE credential_id = \(Data(credentialID)) AND owner = \(owner.rawValue) RETURNING 1",
                logger: logger
            ))
            guard removed > 0 else { return [] }
            return try await append([event], on: connection)
        }
        auditTally.add(records.count)
        return !records.isEmpty
    }

    public func removeKeyWithTouch(
        challengeID: String, owner: Username, at now: Date,
        _ verify: @Sendable (CeremonyChallenge, [EnrolledKey]) throws -> (usedKey: EnrolledKey, events: [AuditEvent])
    ) async throws {
        let records = try await transaction { connection in
            guard let challenge = try await KeyRows.lockChallenge(challengeID, on: connection, logger: logger),
                  case .keyRemoval(_, let target) = challenge.purpose else {
                throw StoreError(.notFound, "no key-removal ceremony \(challengeID)")
            }
            let spent = try challenge.redeem(by: owner, at: now)
            let (used, events) = try verify(spent, try await KeyRows.keys(of: owner, forUpdate: true, on: connection, logger: logger))
            try HardwareKeyRules.checkRemoval(of: target, owner: owner, vouchedBy: used)
            try await KeyRows.markUsed(spent, on: connection, logger: logger)
            try await KeyRows.persistUse(of: used, on: connection, logger: logger)
            let removed = try await Self.count(connection.query(
                "DELETE FROM enrolled_keys WHERE credential_id = \(Data(target)) AND owner = \(owner.rawValue) RETURNING 1", logger: logger
            ))
            guard removed == 1 else { throw StoreError(.notFound, "no such key") }
            return try await append(events, on: connection).count
        }
        auditTally.add(records)
    }

    public func approveWithKey(
        challengeID: String, approver: Username, at now: Date,
        _ decide: @Sendable (AccessRequest, ApprovalChallenge, [EnrolledKey]) throws -> KeyApprovalOutcome
    ) async throws -> AccessRequest {
        enum Ending: Sendable {
            case approved(AccessRequest)
            case refused(any Error)
        }
        let (ending, records) = try await transaction { connection -> (Ending, Int) in
            guard let challenge = try await KeyRows.lockChallenge(challengeID, on: connection, logger: logger),
                  case .approval(let approval) = challenge.purpose else {
                throw StoreError(.notFound, "no approval ceremony \(challengeID)")
            }
            let spent = try challenge.redeem(by: approver, at: now)
            try await KeyRows.markUsed(spent, on: connection, logger: logger)
            guard let current = try await RequestRows.fetch(approval.requestID, forUpdate: true, on: connection, logger: logger) else {
                throw StoreError(.notFound, "no request \(approval.requestID)")
            }
            let keys = try await KeyRows.keys(of: approver, forUpdate: true, on: connection, logger: logger)
            switch try decide(current, approval, keys) {
            case .approved(let change, let key):
                guard key.owner == approver else {
                    throw StoreError(.invalidChange, "an approval of \(current.id) returned another approver's key")
                }
                try await KeyRows.persistUse(of: key, on: connection, logger: logger)
                return (.approved(change.request), try await commit(change.checked(for: current.id), replacing: current, on: connection))
            case .refused(let error, let flaggedKey, let events):
                if let flaggedKey { try await KeyRows.persistUse(of: flaggedKey, on: connection, logger: logger) }
                return (.refused(error), try await append(events, on: connection).count)
            }
        }
        auditTally.add(records)
        switch ending {
        case .approved(let request): return request
        case .refused(let error): throw error
        }
    }
}
