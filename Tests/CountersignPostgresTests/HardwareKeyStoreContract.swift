import CountersignCore
import CountersignStore
import Crypto
import Foundation
import Testing

/// What every backend's hardware-key store must do, against the protocols alone, given a fresh
/// store. Keys are enrolled as a gateway enrols them: an invite, a registration challenge, then
/// `enrolKey`.
enum HardwareKeyStoreContract {
    typealias Fixtures = ContractFixtures
    typealias Store = HardwareKeyStore & RequestStore & AuditLog

    static let aaguid = [UInt8](repeating: 0, count: 16)

    static func key(_ id: UInt8, owner: String, name: String = "desk", signCount: UInt32 = 1, at now: Date) throws -> EnrolledKey {
        try EnrolledKey(
            credentialID: [id, id, id, id], owner: try Fixtures.user(owner), name: name, publicKey: [0xA4, id], signCount: signCount,
            backupEligible: false, aaguid: aaguid, attestation: "none", enrolledAt: now
        )
    }

    static func event(_ action: String, _ subject: String, at now: Date) -> AuditEvent {
        AuditEvent(time: now, actor: subject, action: AuditAction(rawValue: action), subject: subject)
    }

    static func inviteHash(_ code: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(code.utf8)))
    }

    static func challengeID(_ seed: Character) -> String {
        String(repeating: seed, count: 32)
    }

    static func invite(for user: String, code: String, at now: Date) throws -> EnrolmentInvite {
        EnrolmentInvite(codeHash: inviteHash(code), user: try Fixtures.user(user), createdBy: try Fixtures.user("erin"), createdAt: now)
    }

    static func registration(_ id: String, for user: String, at now: Date) throws -> CeremonyChallenge {
        CeremonyChallenge(id: id, user: try Fixtures.user(user), purpose: .registration(challenge: [UInt8](repeating: 3, count: 32)), issuedAt: now)
    }

    /// Enrols `key` for its owner through a fresh invite and registration challenge.
    @discardableResult
    static func enrol(_ key: EnrolledKey, on store: some Store, at now: Date) async throws -> EnrolledKey {
        let code = "invite-\(key.credentialID.hexString)"
        try await store.createInvite(try invite(for: key.owner.rawValue, code: code, at: now), event: event("key.invite_created", key.owner.rawValue, at: now))
        let challenge = try registration(("r" + key.credentialID.hexString).padding(toLength: 32, withPad: "0", startingAt: 0), for: key.owner.rawValue, at: now)
        try await store.openChallenge(challenge, at: now)
        return try await store.enrolKey(challengeID: challenge.id, inviteCodeHash: inviteHash(code), user: key.owner, at: now) { _, _, _ in
            (key, [event("key.enrolled", key.owner.rawValue, at: now)])
        }
    }

    /// A request that needs one sre approval by hardware key, and an approval challenge for `approver`.
    static func approvalCeremony(
        _ seed: Character, approver: String, on store: some Store, at now: Date
    ) async throws -> (AccessRequest, CeremonyChallenge, ApprovalChallenge) {
        let request = try await store.file(try Fixtures.deploy(requirement: try Fixtures.requirement([(1, "sre")], hardwareKey: true), at: now))
        var generator = SystemRandomNumberGenerator()
        let approval = ApprovalChallenge.issue(for: request, approver: try Fixtures.user(approver), at: now, using: &generator)
        let challenge = CeremonyChallenge(id: challengeID(seed), user: try Fixtures.user(approver), purpose: .approval(approval), issuedAt: now)
        try await store.openChallenge(challenge, at: now)
        return (request, challenge, approval)
    }

    static func evidence(for key: EnrolledKey, _ approval: ApprovalChallenge) -> HardwareKeyEvidence {
        HardwareKeyEvidence(
            credentialID: key.credentialID, publicKey: key.publicKey, authenticatorData: [UInt8](repeating: 1, count: 37),
            clientDataJSON: Array("{}".utf8), signature: [1, 2, 3], nonce: approval.nonce
        )
    }

    static func aKeyIsEnrolledOnceWithAnInviteAndAChallenge(_ store: some Store) async throws {
        let now = ManualClock().now()
        let bob = try Fixtures.user("bob")
        try await store.createInvite(try invite(for: "bob", code: "code-1", at: now), event: event("key.invite_created", "bob", at: now))
        let challenge = try registration(challengeID("a"), for: "bob", at: now)
        try await store.openChallenge(challenge, at: now)
        let handle = try await store.userHandle(for: bob)
        #expect(handle.count == 16)
        #expect(try await store.userHandle(for: bob) == handle, "created once")
        let enrolled = try await store.enrolKey(challengeID: challenge.id, inviteCodeHash: inviteHash("code-1"), user: bob, at: now) { answered, userHandle, keys in
            #expect(answered.challengeBytes == challenge.challengeBytes)
            #expect(answered.usedAt != nil, "handed over spent")
            #expect(userHandle == handle)
            #expect(keys.isEmpty)
            return (try key(1, owner: "bob", at: now), [event("key.enrolled", "bob", at: now)])
        }
        #expect(try await store.keys(of: bob) == [enrolled])
        #expect(try await store.auditRecords(after: 0, limit: 10).map(\.event.action.rawValue) == ["key.invite_created", "key.enrolled"])

        // The challenge is spent; with a fresh challenge, the invite is spent too.
        let again = await Fixtures.refusalCode {
            _ = try await store.enrolKey(challengeID: challenge.id, inviteCodeHash: inviteHash("code-1"), user: bob, at: now) { _, _, _ in
                (try key(2, owner: "bob", name: "spare", at: now), [])
            }
        }
        #expect(again == "invalid_state")
        let fresh = try registration(challengeID("b"), for: "bob", at: now)
        try await store.openChallenge(fresh, at: now)
        let reusedInvite = await Fixtures.refusalCode {
            _ = try await store.enrolKey(challengeID: fresh.id, inviteCodeHash: inviteHash("code-1"), user: bob, at: now) { _, _, _ in
                (try key(2, owner: "bob", name: "spare", at: now), [])
            }
        }
        #expect(reusedInvite == "invalid_state")
        #expect(try await store.keys(of: bob) == [enrolled])

        let duplicate = await Fixtures.refusalCode {
            try await store.createInvite(try invite(for: "bob", code: "code-1", at: now), event: event("key.invite_created", "bob", at: now))
        }
        #expect(duplicate == "already_exists")
        #expect(try await store.auditRecords(after: 0, limit: 10).count == 2)

        // A second key under a name the owner already uses (two enrolments racing past the desk's
        // own check) is refused by the database alike on every backend, nothing spent.
        try await store.createInvite(try invite(for: "bob", code: "code-2", at: now), event: event("key.invite_created", "bob", at: now))
        let sameName = await Fixtures.refusalCode {
            _ = try await store.enrolKey(challengeID: fresh.id, inviteCodeHash: inviteHash("code-2"), user: bob, at: now) { _, _, _ in
                (try key(3, owner: "bob", name: "desk", at: now), [])
            }
        }
        #expect(sameName == "already_exists")
        #expect(try await store.keys(of: bob) == [enrolled])
    }

    static func enrolmentRefusalsWriteNothing(_ store: some Store) async throws {
        let now = ManualClock().now()
        let carol = try Fixtures.user("carol")
        try await store.createInvite(try invite(for: "bob", code: "bobs-code", at: now), event: event("key.invite_created", "bob", at: now))
        let challenge = try registration(challengeID("c"), for: "carol", at: now)
        try await store.openChallenge(challenge, at: now)
        func attempt(_ code: String, key: EnrolledKey) async -> String? {
            await Fixtures.refusalCode {
                _ = try await store.enrolKey(challengeID: challenge.id, inviteCodeHash: inviteHash(code), user: carol, at: now) { _, _, _ in
                    (key, [event("key.enrolled", "carol", at: now)])
                }
            }
        }
        #expect(await attempt("no-such-code", key: try key(1, owner: "carol", at: now)) == "forbidden")
        #expect(await attempt("bobs-code", key: try key(1, owner: "carol", at: now)) == "forbidden", "another user's invite")
        let unknownCeremony = await Fixtures.refusalCode {
            _ = try await store.enrolKey(challengeID: challengeID("z"), inviteCodeHash: inviteHash("bobs-code"), user: carol, at: now) { _, _, _ in
                (try key(1, owner: "carol", at: now), [])
            }
        }
        #expect(unknownCeremony == "not_found")
        let refused = DomainError(.forbidden, "the attestation did not verify")
        try await store.createInvite(try invite(for: "carol", code: "carols-code", at: now), event: event("key.invite_created", "carol", at: now))
        let thrown = await #expect(throws: DomainError.self) {
            _ = try await store.enrolKey(challengeID: challenge.id, inviteCodeHash: inviteHash("carols-code"), user: carol, at: now) { _, _, _ in
                throw refused
            }
        }
        #expect(thrown == refused, "a verification's refusal comes back unchanged")
        // Bob's key is enrolled; carol presenting the same credential is refused.
        try await enrol(try key(7, owner: "bob", at: now), on: store, at: now)
        #expect(await attempt("carols-code", key: try key(7, owner: "carol", at: now)) == "invalid_state")
        #expect(try await store.keys(of: carol).isEmpty)
        // Nothing was spent by the refusals: carol's ceremony still enrols.
        #expect(await attempt("carols-code", key: try key(8, owner: "carol", at: now)) == nil)
        #expect(try await store.keys(of: carol).map(\.credentialID) == [[8, 8, 8, 8]])
    }

    static func aUserHoldsABoundedNumberOfOpenChallenges(_ store: some Store) async throws {
        let clock = ManualClock()
        let bob = try Fixtures.user("bob")
        func challenge(_ index: Int) -> CeremonyChallenge {
            CeremonyChallenge(
                id: String(format: "%032d", index), user: bob, purpose: .registration(challenge: [UInt8](repeating: 1, count: 32)),
                issuedAt: clock.now()
            )
        }
        for index in 0..<CeremonyChallenge.maximumOpenPerUser {
            try await store.openChallenge(challenge(index), at: clock.now())
        }
        let limited = await #expect(throws: StoreError.self) { try await store.openChallenge(challenge(100), at: clock.now()) }
        #expect(limited?.code == .limitReached)
        let carol = CeremonyChallenge(
            id: challengeID("c"), user: try Fixtures.user("carol"), purpose: .registration(challenge: [UInt8](repeating: 1, count: 32)),
            issuedAt: clock.now()
        )
        try await store.openChallenge(carol, at: clock.now())
        clock.advance(by: ApprovalChallenge.lifetime)
        try await store.openChallenge(challenge(101), at: clock.now())
    }

    static func staleChallengesAreForgottenAndLiveOnesKept(_ store: some Store) async throws {
        let clock = ManualClock()
        let start = clock.now()
        try await store.openChallenge(try registration(challengeID("1"), for: "bob", at: start), at: start)
        clock.advance(by: 200)
        let live = try registration(challengeID("2"), for: "bob", at: clock.now())
        try await store.openChallenge(live, at: clock.now())
        // An answered one goes too, whatever its age.
        try await enrol(try key(3, owner: "carol", at: clock.now()), on: store, at: clock.now())
        clock.advance(by: 100)
        // The first is now 300 s old: past its lifetime; carol's is answered; bob's second is live.
        #expect(try await store.deleteStaleChallenges(at: clock.now()) == 2)
        #expect(try await store.deleteStaleChallenges(at: clock.now()) == 0)
        try await store.createInvite(try invite(for: "bob", code: "bob", at: clock.now()), event: event("key.invite_created", "bob", at: clock.now()))
        let enrolled = try await store.enrolKey(challengeID: live.id, inviteCodeHash: inviteHash("bob"), user: try Fixtures.user("bob"), at: clock.now()) { _, _, _ in
            (try key(4, owner: "bob", at: clock.now()), [])
        }
        #expect(enrolled.owner.rawValue == "bob", "the live challenge was kept")
    }

    static func keysAreRemovedByAnAdminOrWithATouchOfAnother(_ store: some Store) async throws {
        let now = ManualClock().now()
        let bob = try Fixtures.user("bob")
        let desk = try await enrol(try key(1, owner: "bob", name: "desk", at: now), on: store, at: now)
        let spare = try await enrol(try key(2, owner: "bob", name: "spare", at: now), on: store, at: now)
        let travel = try await enrol(try key(3, owner: "bob", name: "travel", at: now), on: store, at: now)
        #expect(try await store.keys(of: bob) == [desk, spare, travel])
        let audited = try await store.auditRecords(after: 0, limit: 100).count

        let removal = AuditEvent(time: now, actor: "erin", action: AuditAction(rawValue: "key.removed"), subject: "bob")
        #expect(try await store.removeKey(credentialID: travel.credentialID, owner: bob, event: removal))
        #expect(try await store.removeKey(credentialID: travel.credentialID, owner: bob, event: removal) == false)
        #expect(try await store.removeKey(credentialID: desk.credentialID, owner: try Fixtures.user("carol"), event: removal) == false, "not carol's")
        #expect(try await store.auditRecords(after: Int64(audited), limit: 10).count == 1, "audited once")

        let ceremony = CeremonyChallenge(
            id: challengeID("k"), user: bob, purpose: .keyRemoval(challenge: [UInt8](repeating: 5, count: 32), credentialID: desk.credentialID),
            issuedAt: now
        )
        try await store.openChallenge(ceremony, at: now)
        // The key being removed cannot vouch for its own removal: refused, nothing spent.
        let selfVouched = await Fixtures.refusalCode {
            try await store.removeKeyWithTouch(challengeID: ceremony.id, owner: bob, at: now) { _, keys in
                (keys[0].used(signCount: 5, at: now), [event("key.removed", "bob", at: now)])
            }
        }
        #expect(selfVouched == "forbidden")
        try await store.removeKeyWithTouch(challengeID: ceremony.id, owner: bob, at: now) { answered, keys in
            #expect(answered.usedAt != nil)
            #expect(keys == [desk, spare])
            return (spare.used(signCount: 6, at: now), [event("key.removed", "bob", at: now)])
        }
        let remaining = try await store.keys(of: bob)
        #expect(remaining.map(\.credentialID) == [spare.credentialID])
        #expect(remaining.first?.signCount == 6, "the vouching key's counter moved")
        let replay = await Fixtures.refusalCode {
            try await store.removeKeyWithTouch(challengeID: ceremony.id, owner: bob, at: now) { _, keys in
                (keys[0].used(signCount: 7, at: now), [])
            }
        }
        #expect(replay == "invalid_state")
        let wrongPurpose = await Fixtures.refusalCode {
            try await store.removeKeyWithTouch(challengeID: challengeID("q"), owner: bob, at: now) { _, keys in (keys[0], []) }
        }
        #expect(wrongPurpose == "not_found")
    }

    static func aKeyApprovalCommitsWithItsEvidenceOnce(_ store: some Store) async throws {
        let now = ManualClock().now()
        let dave = try Fixtures.actor("dave")
        let daveKey = try await enrol(try key(7, owner: "dave", at: now), on: store, at: now)
        let (request, challenge, approval) = try await approvalCeremony("d", approver: "dave", on: store, at: now)
        let keyEvidence = evidence(for: daveKey, approval)
        let approved = try await store.approveWithKey(challengeID: challenge.id, approver: dave.name, at: now) { current, answered, keys in
            #expect(current == request)
            #expect(answered == approval)
            #expect(keys == [daveKey])
            return .approved(try RequestRules.apply(.approveWithHardwareKey(dave, keyEvidence), to: current, at: now), usedKey: daveKey.used(signCount: 9, at: now))
        }
        #expect(approved.state == .approved)
        #expect(try await store.request(request.id) == approved)
        #expect(try await store.request(request.id)?.approvals.first?.evidence == keyEvidence)
        #expect(try await store.keys(of: dave.name).first?.signCount == 9)
        let replay = await Fixtures.refusalCode {
            _ = try await store.approveWithKey(challengeID: challenge.id, approver: dave.name, at: now) { _, _, _ in
                Issue.record("a spent challenge reached the decision")
                throw DomainError(.forbidden, "unreachable")
            }
        }
        #expect(replay == "invalid_state")
        // The next decision sees the counter the last one stored.
        let (_, next, _) = try await approvalCeremony("n", approver: "dave", on: store, at: now)
        let stale = await Fixtures.refusalCode {
            _ = try await store.approveWithKey(challengeID: next.id, approver: dave.name, at: now) { _, _, keys in
                #expect(keys.first?.signCount == 9)
                throw DomainError(.forbidden, "the counter did not grow")
            }
        }
        #expect(stale == "forbidden")
        let someoneElse = await Fixtures.refusalCode {
            _ = try await store.approveWithKey(challengeID: next.id, approver: try Fixtures.user("carol"), at: now) { _, _, _ in
                throw DomainError(.invalidState, "unreachable")
            }
        }
        #expect(someoneElse == "forbidden", "issued to dave")
    }

    static func aRefusedKeyApprovalCommitsItsEventsAndFlagThenThrows(_ store: some Store) async throws {
        let now = ManualClock().now()
        let dave = try Fixtures.user("dave")
        try await enrol(try key(8, owner: "dave", at: now), on: store, at: now)
        let (request, challenge, _) = try await approvalCeremony("e", approver: "dave", on: store, at: now)
        let audited = try await store.auditRecords(after: 0, limit: 100).count
        let refusal = DomainError(.forbidden, "the signature counter went backwards")
        let thrown = await #expect(throws: DomainError.self) {
            _ = try await store.approveWithKey(challengeID: challenge.id, approver: dave, at: now) { _, _, keys in
                .refused(refusal, flaggedKey: keys[0].flagged(at: now), events: [event("key.possibly_cloned", "dave", at: now)])
            }
        }
        #expect(thrown == refusal)
        #expect(try await store.keys(of: dave).first?.flaggedAt == now.truncatedToMilliseconds)
        #expect(try await store.request(request.id) == request)
        #expect(try await store.auditRecords(after: Int64(audited), limit: 10).map(\.event.action.rawValue) == ["key.possibly_cloned"])
        let again = await Fixtures.refusalCode {
            _ = try await store.approveWithKey(challengeID: challenge.id, approver: dave, at: now) { _, _, _ in
                throw DomainError(.forbidden, "unreachable")
            }
        }
        #expect(again == "invalid_state", "the challenge was spent")
    }
}

/// What every backend's maintenance must do that is the same on all of them.
enum StoreMaintenanceContract {
    static func writabilityIsProvedByAWrite(_ store: some StoreMaintenance & AuditLog) async throws {
        try await store.checkWritable()
        try await store.checkWritable()
        #expect(try await store.auditHead() == nil, "a heartbeat is not an audited action")
    }
}
