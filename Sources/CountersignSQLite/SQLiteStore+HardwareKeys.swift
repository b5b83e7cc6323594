import CountersignStore
import CountersignCore
import Foundation
import GRDB

extension SQLiteStore {
    public func createInvite(_ invite: EnrolmentInvite, event: AuditEvent) async throws {
        try await write { db in
            guard try KeyRows.invite(invite.codeHash, in: db) == nil else {
                throw StoreError(.alreadyExists, "an invite with this code already exists")
            }
            try KeyRows.insert(invite, in: db)
            _ = try appendAudit([event], in: db)
        }
    }

    public func userHandle(for user: Username) async throws -> [UInt8] {
        try await write { db in try KeyRows.userHandle(for: user, in: db) }
    }

    public func keys(of user: Username) async throws -> [EnrolledKey] {
        try await read { db in try KeyRows.keys(of: user, in: db) }
    }

    @discardableResult
    public func deleteStaleChallenges(at now: Date) async throws -> Int {
        let issuedBy = now.addingTimeInterval(-ApprovalChallenge.lifetime).millisecondsSinceEpoch
        return try await write { db in
            try db.execute(sql: "DELETE FROM ceremony_challenges WHERE used_at IS NOT NULL OR issued_at <= ?", arguments: [issuedBy])
            return db.changesCount
        }
    }

    public func openChallenge(_ challenge: CeremonyChallenge, at now: Date) async throws {
        let issuedBy = now.addingTimeInterval(-ApprovalChallenge.lifetime).millisecondsSinceEpoch
        try await write { db in
            // The user's own stale challenges go first, so only live ones count against the bound.
            try db.execute(
                sql: "DELETE FROM ceremony_challenges WHERE username = ? AND (used_at IS NOT NULL OR issued_at <= ?)",
                arguments: [challenge.user.rawValue, issuedBy]
            )
            let open = try Int.fetchOne(db, sql: "SELECT count(*) FROM ceremony_challenges WHERE username = ?", arguments: [challenge.user.rawValue]) ?? 0
            guard open < CeremonyChallenge.maximumOpenPerUser else {
                throw StoreError(.limitReached, "too many ceremonies in progress; finish or wait for one to expire")
            }
            try KeyRows.insert(challenge, in: db)
        }
    }

    public func enrolKey(
        challengeID: String, inviteCodeHash: [UInt8], user: Username, at now: Date,
        _ verify: @Sendable (CeremonyChallenge, [UInt8], [EnrolledKey]) throws -> (EnrolledKey, [AuditEvent])
    ) async throws -> EnrolledKey {
        try await write { db in
            guard let challenge = try KeyRows.challenge(challengeID, in: db), case .registration = challenge.purpose else {
                throw StoreError(.notFound, "no registration ceremony \(challengeID)")
            }
            let spentChallenge = try challenge.redeem(by: user, at: now)
            guard let invite = try KeyRows.invite(inviteCodeHash, in: db) else {
                throw DomainError(.forbidden, "this invite code is not valid")
            }
            let spentInvite = try invite.redeem(by: user, at: now)
            let handle = try KeyRows.userHandle(for: user, in: db)
            let (key, events) = try verify(spentChallenge, handle, try KeyRows.keys(of: user, in: db))
            guard key.owner == user else { throw StoreError(.invalidChange, "a key for \(user) was returned for \(key.owner)") }
            guard try KeyRows.key(key.credentialID, in: db) == nil else {
                throw DomainError(.invalidState, "this security key is already enrolled")
            }
            try KeyRows.markUsed(spentChallenge, in: db)
            try KeyRows.markUsed(spentInvite, in: db)
            try KeyRows.insert(key, in: db)
            _ = try appendAudit(events, in: db)
            return key
        }
    }

    @discardableResult
    public func removeKey(credentialID: [UInt8], owner: Username, event: AuditEvent) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM enrolled_keys WHERE credential_id = ? AND owner = ?", arguments: [Data(credentialID), owner.rawValue])
            guard db.changesCount > 0 else { return false }
            _ = try appendAudit([event], in: db)
            return true
        }
    }

    public func removeKeyWithTouch(
        challengeID: String, owner: Username, at now: Date,
        _ verify: @Sendable (CeremonyChallenge, [EnrolledKey]) throws -> (usedKey: EnrolledKey, events: [AuditEvent])
    ) async throws {
        try await write { db in
            guard let challenge = try KeyRows.challenge(challengeID, in: db), case .keyRemoval(_, let target) = challenge.purpose else {
                throw StoreError(.notFound, "no key-removal ceremony \(challengeID)")
            }
            let spent = try challenge.redeem(by: owner, at: now)
            let (used, events) = try verify(spent, try KeyRows.keys(of: owner, in: db))
            try HardwareKeyRules.checkRemoval(of: target, owner: owner, vouchedBy: used)
            try KeyRows.markUsed(spent, in: db)
            try KeyRows.persistUse(of: used, in: db)
            try db.execute(sql: "DELETE FROM enrolled_keys WHERE credential_id = ? AND owner = ?", arguments: [Data(target), owner.rawValue])
            guard db.changesCount == 1 else { throw StoreError(.notFound, "no such key") }
            _ = try appendAudit(events, in: db)
        }
    }

    public func approveWithKey(
        challengeID: String, approver: Username, at now: Date,
        _ decide: @Sendable (AccessRequest, ApprovalChallenge, [EnrolledKey]) throws -> KeyApprovalOutcome
    ) async throws -> AccessRequest {
        enum Ending: Sendable {
            case approved(AccessRequest)
            case refused(any Error)
        }
        let ending = try await write { db throws -> Ending in
            guard let challenge = try KeyRows.challenge(challengeID, in: db), case .approval(let approval) = challenge.purpose else {
                throw StoreError(.notFound, "no approval ceremony \(challengeID)")
            }
            let spent = try challenge.redeem(by: approver, at: now)
            try KeyRows.markUsed(spent, in: db)
            guard let current = try RequestRows.fetch(approval.requestID, in: db) else {
                throw StoreError(.notFound, "no request \(approval.requestID)")
            }
            switch try decide(current, approval, try KeyRows.keys(of: approver, in: db)) {
            case .approved(let change, let key):
                guard key.owner == approver else {
                    throw StoreError(.invalidChange, "an approval of \(current.id) returned another approver's key")
                }
                try KeyRows.persistUse(of: key, in: db)
                try commit(change.checked(for: current.id), replacing: current, in: db)
                return .approved(change.request)
            case .refused(let error, let flaggedKey, let events):
                if let flaggedKey { try KeyRows.persistUse(of: flaggedKey, in: db) }
                _ = try appendAudit(events, in: db)
                return .refused(error)
            }
        }
        switch ending {
        case .approved(let request): return request
        case .refused(let error): throw error
        }
    }
}
