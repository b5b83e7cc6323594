@testable import CountersignSQLite
import CountersignStore
import CountersignCore
import Crypto
import Foundation
import Testing

@Suite("Hardware keys, invites, ceremony challenges and approval evidence in the store")
struct HardwareKeyStorageTests {
    static let inviteCode = Array("invite-code-for-bob".utf8)
    static var inviteHash: [UInt8] { Array(SHA256.hash(data: inviteCode)) }
    static let aaguid = [UInt8](repeating: 0, count: 16)

    static func key(_ id: UInt8, owner: String = "bob", name: String = "desk", at now: Date) throws -> EnrolledKey {
        try EnrolledKey(
            credentialID: [id, id, id, id], owner: try Fixtures.user(owner), name: name, publicKey: [0xA4, id], signCount: 1,
            backupEligible: false, aaguid: aaguid, attestation: "none", enrolledAt: now
        )
    }

    static func event(_ action: String, _ subject: String, at now: Date) -> AuditEvent {
        AuditEvent(time: now, actor: "bob", action: AuditAction(rawValue: action), subject: subject)
    }

    /// An invite for bob and a registration challenge he opened.
    static func prepareEnrolment(_ scratch: Scratch) async throws -> CeremonyChallenge {
        let now = scratch.clock.now()
        let invite = EnrolmentInvite(codeHash: inviteHash, user: try Fixtures.user("bob"), createdBy: try Fixtures.user("erin"), createdAt: now)
        try await scratch.store.createInvite(invite, event: event("key.invite_created", "bob", at: now))
        let challenge = CeremonyChallenge(
            id: String(repeating: "a", count: 32), user: try Fixtures.user("bob"), purpose: .registration(challenge: [UInt8](repeating: 3, count: 32)), issuedAt: now
        )
        try await scratch.store.openChallenge(challenge, at: now)
        return challenge
    }

    @Test("a key is enrolled once with an invite and a challenge, both then spent, and audited")
    func enrolment() async throws {
        try await withScratchStore { scratch in
            let challenge = try await Self.prepareEnrolment(scratch)
            let now = scratch.clock.now()
            let enrolled = try await scratch.store.enrolKey(challengeID: challenge.id, inviteCodeHash: Self.inviteHash, user: try Fixtures.user("bob"), at: now) { answered, handle, keys in
                #expect(answered.challengeBytes == challenge.challengeBytes)
                #expect(handle.count == 16)
                #expect(keys.isEmpty)
                return (try Self.key(1, at: now), [Self.event("key.enrolled", "bob", at: now)])
            }
            #expect(try await scratch.store.keys(of: try Fixtures.user("bob")) == [enrolled])
            let handle = try await scratch.store.userHandle(for: try Fixtures.user("bob"))
            #expect(try await scratch.store.userHandle(for: try Fixtures.user("bob")) == handle)
            #expect(try await scratch.store.auditRecords(after: 0, limit: 10).map(\.event.action.rawValue) == ["key.invite_created", "key.enrolled"])

            // The invite and the challenge are spent: the same ceremony again is refused.
            let again = await domainOrStoreCode {
                _ = try await scratch.store.enrolKey(challengeID: challenge.id, inviteCodeHash: Self.inviteHash, user: try Fixtures.user("bob"), at: now) { _, _, _ in
                    (try Self.key(2, name: "spare", at: now), [])
                }
            }
            #expect(again == "invalid_state")
        }
    }

    @Test("enrolment is refused for another user's invite, an unknown invite, or a key already enrolled; nothing is written")
    func enrolmentRefusals() async throws {
        try await withScratchStore { scratch in
            let challenge = try await Self.prepareEnrolment(scratch)
            let now = scratch.clock.now()
            let unknown = await domainOrStoreCode {
                _ = try await scratch.store.enrolKey(challengeID: challenge.id, inviteCodeHash: [UInt8](repeating: 9, count: 32), user: try Fixtures.user("bob"), at: now) { _, _, _ in
                    (try Self.key(1, at: now), [])
                }
            }
            #expect(unknown == "forbidden")
            let carolChallenge = CeremonyChallenge(id: String(repeating: "c", count: 32), user: try Fixtures.user("carol"), purpose: .registration(challenge: [UInt8](repeating: 4, count: 32)), issuedAt: now)
            try await scratch.store.openChallenge(carolChallenge, at: now)
            let otherUsers = await domainOrStoreCode {
                _ = try await scratch.store.enrolKey(challengeID: carolChallenge.id, inviteCodeHash: Self.inviteHash, user: try Fixtures.user("carol"), at: now) { _, _, _ in
                    (try Self.key(1, owner: "carol", at: now), [])
                }
            }
            #expect(otherUsers == "forbidden")
            #expect(try await scratch.store.keys(of: try Fixtures.user("carol")).isEmpty)
            let audited = try await scratch.auditCount()
            #expect(audited == 1)
        }
    }

    @Test("a user holds at most sixteen open challenges; expired ones stop counting")
    func challengeBound() async throws {
        try await withScratchStore { scratch in
            let bob = try Fixtures.user("bob")
            for index in 0..<CeremonyChallenge.maximumOpenPerUser {
                let id = String(format: "%032d", index)
                try await scratch.store.openChallenge(CeremonyChallenge(id: id, user: bob, purpose: .registration(challenge: [UInt8](repeating: 1, count: 32)), issuedAt: scratch.clock.now()), at: scratch.clock.now())
            }
            let extra = CeremonyChallenge(id: String(repeating: "f", count: 32), user: bob, purpose: .registration(challenge: [UInt8](repeating: 1, count: 32)), issuedAt: scratch.clock.now())
            #expect(await storeErrorCode { try await scratch.store.openChallenge(extra, at: scratch.clock.now()) } == .limitReached)
            scratch.clock.advance(by: ApprovalChallenge.lifetime)
            let later = CeremonyChallenge(id: String(repeating: "f", count: 32), user: bob, purpose: .registration(challenge: [UInt8](repeating: 1, count: 32)), issuedAt: scratch.clock.now())
            try await scratch.store.openChallenge(later, at: scratch.clock.now())
        }
    }

    @Test("the sweep forgets answered and stale challenges, and keeps live ones")
    func challengeSweep() async throws {
        try await withScratchStore { scratch in
            let bob = try Fixtures.user("bob")
            let registration = CeremonyChallenge.Purpose.registration(challenge: [UInt8](repeating: 1, count: 32))
            try await scratch.store.openChallenge(CeremonyChallenge(id: String(repeating: "1", count: 32), user: bob, purpose: registration, issuedAt: scratch.clock.now()), at: scratch.clock.now())
            scratch.clock.advance(by: 200)
            try await scratch.store.openChallenge(CeremonyChallenge(id: String(repeating: "2", count: 32), user: bob, purpose: registration, issuedAt: scratch.clock.now()), at: scratch.clock.now())
            scratch.clock.advance(by: 100)
            // The first is now 300 s old: past its lifetime. The second is 100 s old: live.
            #expect(try await scratch.store.deleteStaleChallenges(at: scratch.clock.now()) == 1)
            #expect(try await scratch.store.deleteStaleChallenges(at: scratch.clock.now()) == 0)
            let remaining = try await scratch.store.database.read { db in try String.fetchAll(db, sql: "SELECT id FROM ceremony_challenges") }
            #expect(remaining == [String(repeating: "2", count: 32)])
        }
    }

    @Test("a hardware-key approval commits with its evidence and the key's new counter; the challenge is single use")
    func approvalWithEvidence() async throws {
        try await withScratchStore { scratch in
            let now = scratch.clock.now()
            let request = try Fixtures.deploy(requirement: try Fixtures.requirement([(1, "sre")], hardwareKey: true), at: now)
            _ = try await scratch.store.createRequest(request)
            let dave = try Fixtures.actor("dave")
            var generator = SystemRandomNumberGenerator()
            let approval = ApprovalChallenge.issue(for: request, approver: dave.name, at: now, using: &generator)
            let challenge = CeremonyChallenge(id: String(repeating: "d", count: 32), user: dave.name, purpose: .approval(approval), issuedAt: now)
            try await scratch.store.openChallenge(challenge, at: now)
            let key = try Self.key(7, owner: "dave", at: now)
            try await scratch.store.rawConnectionInsert(key)
            let evidence = HardwareKeyEvidence(
                credentialID: key.credentialID, publicKey: key.publicKey, authenticatorData: [UInt8](repeating: 1, count: 37),
                clientDataJSON: Array("{}".utf8), signature: [1, 2, 3], nonce: approval.nonce
            )
            let approved = try await scratch.store.approveWithKey(challengeID: challenge.id, approver: dave.name, at: now) { current, answered, keys in
                #expect(answered == approval)
                #expect(keys == [key])
                return .approved(try RequestRules.apply(.approveWithHardwareKey(dave, evidence), to: current, at: now), usedKey: key.used(signCount: 9, at: now))
            }
            #expect(approved.state == .approved)
            let stored = try #require(try await scratch.store.request(request.id))
            #expect(stored.approvals.first?.evidence == evidence)
            #expect(try await scratch.store.keys(of: dave.name).first?.signCount == 9)

            let replay = await domainOrStoreCode {
                _ = try await scratch.store.approveWithKey(challengeID: challenge.id, approver: dave.name, at: now) { _, _, _ in
                    Issue.record("a spent challenge reached the decision")
                    throw DomainError(.forbidden, "unreachable")
                }
            }
            #expect(replay == "invalid_state")

            // Evidence is append-only, even through a second connection.
            let raw = try scratch.rawConnection()
            #expect(throws: (any Error).self) { try raw.write { db in try db.execute(sql: "DELETE FROM approval_evidence") } }
            #expect(throws: (any Error).self) { try raw.write { db in try db.execute(sql: "UPDATE approval_evidence SET signature = x'00'") } }
            #expect(try await scratch.store.request(request.id)?.approvals.first?.evidence == evidence)
        }
    }

    @Test("a refused approval still spends the challenge, flags the key and commits its events")
    func refusalCommitsTheFlag() async throws {
        try await withScratchStore { scratch in
            let now = scratch.clock.now()
            let request = try Fixtures.deploy(requirement: try Fixtures.requirement([(1, "sre")], hardwareKey: true), at: now)
            _ = try await scratch.store.createRequest(request)
            let dave = try Fixtures.actor("dave")
            var generator = SystemRandomNumberGenerator()
            let challenge = CeremonyChallenge(
                id: String(repeating: "e", count: 32), user: dave.name,
                purpose: .approval(ApprovalChallenge.issue(for: request, approver: dave.name, at: now, using: &generator)), issuedAt: now
            )
            try await scratch.store.openChallenge(challenge, at: now)
            let key = try Self.key(8, owner: "dave", at: now)
            try await scratch.store.rawConnectionInsert(key)
            let refusal = await domainOrStoreCode {
                _ = try await scratch.store.approveWithKey(challengeID: challenge.id, approver: dave.name, at: now) { _, _, keys in
                    .refused(DomainError(.forbidden, "counter went backwards"), flaggedKey: keys[0].flagged(at: now), events: [Self.event("key.possibly_cloned", "dave", at: now)])
                }
            }
            #expect(refusal == "forbidden")
            #expect(try await scratch.store.keys(of: dave.name).first?.flaggedAt == now)
            #expect(try await scratch.store.request(request.id)?.approvals.isEmpty == true)
            #expect(try await scratch.store.auditRecords(after: 1, limit: 10).map(\.event.action.rawValue) == ["key.possibly_cloned"])
            let again = await domainOrStoreCode {
                _ = try await scratch.store.approveWithKey(challengeID: challenge.id, approver: dave.name, at: now) { _, _, _ in
                    throw DomainError(.forbidden, "unreachable")
                }
            }
            #expect(again == "invalid_state")
        }
    }
}

extension SQLiteStore {
    /// Enrols a key directly, as a completed ceremony would have.
    func rawConnectionInsert(_ key: EnrolledKey) async throws {
        try await write { db in
            _ = try KeyRows.userHandle(for: key.owner, in: db)
            try KeyRows.insert(key, in: db)
        }
    }
}

/// The code of a `DomainError` or `StoreError` that `body` throws.
func domainOrStoreCode(_ body: () async throws -> Void) async -> String? {
    do {
        try await body()
        return nil
    } catch let error as DomainError {
        return error.code.rawValue
    } catch let error as StoreError {
        return error.code.rawValue
    } catch {
        return "\(error)"
    }
}
