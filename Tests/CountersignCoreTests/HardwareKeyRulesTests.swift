import Foundation
import Testing
@testable import CountersignCore

@Suite("Enrolment invites and enrolled keys")
struct HardwareKeyRulesTests {
    static let invite = EnrolmentInvite(codeHash: [UInt8](repeating: 1, count: 32), user: user("bob"), createdBy: user("erin"), createdAt: Fixture.created)

    struct Redemption: CustomTestStringConvertible {
        let testDescription: String
        let invite: EnrolmentInvite
        let by: String
        let offset: TimeInterval
        let refusal: DomainError.Code?
    }

    static let redemptions: [Redemption] = {
        let spent = try! invite.redeem(by: user("bob"), at: Fixture.created)
        return [
            Redemption(testDescription: "its user redeems it within a day", invite: invite, by: "bob", offset: 60, refusal: nil),
            Redemption(testDescription: "a millisecond before the end it still works", invite: invite, by: "bob", offset: 86_399.999, refusal: nil),
            Redemption(testDescription: "at the end of the day it has expired", invite: invite, by: "bob", offset: 86_400, refusal: .requestExpired),
            Redemption(testDescription: "someone else cannot use it", invite: invite, by: "mallory", offset: 60, refusal: .forbidden),
            Redemption(testDescription: "it works once", invite: spent, by: "bob", offset: 60, refusal: .invalidState),
        ]
    }()

    @Test("an invite is for one user, once, for a day", arguments: redemptions)
    func redeeming(_ row: Redemption) {
        let now = Fixture.created.addingTimeInterval(row.offset)
        let error = refusal { () throws(DomainError) in try row.invite.redeem(by: user(row.by), at: now) }
        #expect(error?.code == row.refusal)
        if row.refusal == nil {
            #expect((try? row.invite.redeem(by: user(row.by), at: now))?.usedAt == now.truncatedToMilliseconds)
        }
    }

    @Test("key names are one printable line of at most 64 characters", arguments: [
        ("YubiKey 5C, desk", true), ("", false), ("   ", false), ("two\nlines", false), ("tab\there", false),
        ("bidi\u{202E}txt", false), (String(repeating: "k", count: 64), true), (String(repeating: "k", count: 65), false), ("Clé ☃", true),
    ])
    func names(name: String, accepted: Bool) {
        #expect((refusal { () throws(DomainError) in try EnrolledKey.checkName(name) } == nil) == accepted)
    }

    @Test("a used key records its counter and time; a flagged key records when")
    func usage() throws {
        let key = try EnrolledKey(
            credentialID: [9, 9, 9, 9, 9, 9, 9, 9, 1], owner: user("bob"), name: "desk", publicKey: [0xA4], signCount: 3,
            backupEligible: false, aaguid: [UInt8](repeating: 0, count: 16), attestation: "none", enrolledAt: Fixture.created
        )
        let later = Fixture.created.addingTimeInterval(10)
        #expect(key.used(signCount: 4, at: later).signCount == 4)
        #expect(key.used(signCount: 4, at: later).lastUsedAt == later)
        #expect(key.flagged(at: later).flaggedAt == later)
        #expect(key.shortID == "0909090909090909")
    }
}
