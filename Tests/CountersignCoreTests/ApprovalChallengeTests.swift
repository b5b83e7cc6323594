import Foundation
import Testing
@testable import CountersignCore

@Suite("Approval challenges bound to request, content, approver and nonce")
struct ApprovalChallengeTests {
    static let digest = [UInt8](repeating: 0xAB, count: 32)
    static let nonce = [UInt8](0..<32)
    static let id = try! RequestID("0123456789abcdefghjk")

    static func challenge(
        id: RequestID = id, digest: [UInt8] = digest, approver: String = "bob", nonce: [UInt8] = nonce
    ) -> ApprovalChallenge {
        try! ApprovalChallenge(requestID: id, contentDigest: digest, approver: user(approver), nonce: nonce, issuedAt: Fixture.created)
    }

    /// docs/canonical-encoding.md §4 and vector 5: the same bytes, item by item.
    @Test("the challenge matches the documented vector byte for byte")
    func vector() {
        let challenge = Self.challenge()
        let expected = "00000021" + Array("countersign/approval-challenge/v1".utf8).hexString
            + "0000000a" + Array("request_id".utf8).hexString + "00000014" + Array("0123456789abcdefghjk".utf8).hexString
            + "00000020" + Self.digest.hexString
            + "00000008" + Array("approver".utf8).hexString + "00000003" + Array("bob".utf8).hexString
            + "00000020" + Self.nonce.hexString
        #expect(challenge.encoding.bytes.hexString == expected)
        // Computed independently with Python's hashlib over the bytes above.
        #expect(challenge.bytes.hexString == "419ac85fc2a21e07fed21466e9e5ab60258568dec97de527510b4f29e312b2e7")
    }

    struct Change: CustomTestStringConvertible {
        let testDescription: String
        let challenge: ApprovalChallenge
    }

    static let changes: [Change] = {
        var digest = ApprovalChallengeTests.digest
        digest[31] ^= 1
        var nonce = ApprovalChallengeTests.nonce
        nonce[0] ^= 1
        return [
            Change(testDescription: "another request", challenge: challenge(id: try! RequestID("0123456789abcdefghjm"))),
            Change(testDescription: "edited content", challenge: challenge(digest: digest)),
            Change(testDescription: "another approver", challenge: challenge(approver: "carol")),
            Change(testDescription: "another nonce", challenge: challenge(nonce: nonce)),
        ]
    }()

    @Test("changing any bound input changes the challenge", arguments: changes)
    func everyInputIsBound(_ change: Change) {
        #expect(change.challenge.bytes != Self.challenge().bytes)
    }

    @Test("a challenge lasts five minutes from issue, to the millisecond")
    func expiry() {
        let challenge = Self.challenge()
        #expect(!challenge.isExpired(at: Fixture.created.addingTimeInterval(299.999)))
        #expect(challenge.isExpired(at: Fixture.created.addingTimeInterval(300)))
    }

    @Test("a nonce or digest of the wrong length is refused")
    func lengths() {
        #expect(refusal { () throws(DomainError) in
            try ApprovalChallenge(requestID: Self.id, contentDigest: Self.digest, approver: user("bob"), nonce: [1, 2, 3], issuedAt: Fixture.created)
        }?.code == .invalidField)
        #expect(refusal { () throws(DomainError) in
            try ApprovalChallenge(requestID: Self.id, contentDigest: [1], approver: user("bob"), nonce: Self.nonce, issuedAt: Fixture.created)
        }?.code == .invalidField)
    }

    @Test("issuing binds the request's own content digest and draws a fresh nonce each time")
    func issuing() throws {
        let request = try Start.pending.request
        var generator = SplitMix64(seed: 7)
        let first = ApprovalChallenge.issue(for: request, approver: user("bob"), at: Fixture.created, using: &generator)
        let second = ApprovalChallenge.issue(for: request, approver: user("bob"), at: Fixture.created, using: &generator)
        #expect(first.contentDigest == request.canonicalContent.sha256)
        #expect(first.nonce != second.nonce)
        #expect(first.bytes != second.bytes)
    }
}
