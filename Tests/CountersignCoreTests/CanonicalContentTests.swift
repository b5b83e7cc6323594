import Foundation
import Testing
@testable import CountersignCore

/// The documented encoding (docs/canonical-encoding.md), written again here without the core's
/// help: each item is a 4-byte big-endian length followed by the UTF-8 bytes.
enum IndependentEncoding {
    static func item(_ text: String) -> [UInt8] { item(bytes: Array(text.utf8)) }

    static func item(bytes: [UInt8]) -> [UInt8] {
        let n = UInt32(bytes.count)
        return [UInt8(truncatingIfNeeded: n >> 24), UInt8(truncatingIfNeeded: n >> 16),
                UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)] + bytes
    }

    static func requestContent(_ pairs: KeyValuePairs<String, String>) -> [UInt8] {
        pairs.reduce(item("countersign/request-content/v1")) { $0 + item($1.key) + item($1.value) }
    }
}

/// Every field a request's content digest covers, flat, so a test can change exactly one.
struct RequestContent: Sendable, CustomTestStringConvertible {
    var label = "the vector"
    var id = "0123456789abcdefghjk"
    var requester: String
    var createdAtMs: Int64
    var kind: RequestKind
    var service = "", environment = "", commit = ""
    var host = "", login = "", durationSeconds = 0
    var reason: String
    var ticket: String

    var testDescription: String { label }

    func with(_ label: String, _ change: (inout RequestContent) -> Void) -> RequestContent {
        var copy = self
        copy.label = label
        change(&copy)
        return copy
    }

    var request: AccessRequest {
        get throws {
            let target: RequestTarget = switch kind {
            case .deploy: .deploy(try DeployTarget(service: service, environment: environment, commit: try ArtifactReference(commit)))
            case .ssh: .ssh(try SSHTarget(host: host, login: login, durationSeconds: durationSeconds))
            case .breakGlass: .breakGlass(try SSHTarget(host: host, login: login, durationSeconds: durationSeconds))
            }
            let created = Date(millisecondsSinceEpoch: createdAtMs)
            return AccessRequest(
                id: try RequestID(id), requester: try Username(requester),
                draft: try RequestDraft(target: target, reason: reason, ticket: ticket), createdAt: created,
                ruleName: "vector-rule", requirement: requirement([clause(1, "sre")]),
                pendingExpiresAt: created.addingTimeInterval(3600), accessDurationSeconds: 1800
            )
        }
    }
}

@Suite("Canonical request content")
struct CanonicalContentTests {
    // Vector 1 (docs/canonical-encoding.md): a deploy, with non-ASCII text in the reason.
    static let deployVector = RequestContent(
        requester: "alice", createdAtMs: 1_800_000_000_123, kind: .deploy,
        service: "payments-api", environment: "production", commit: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        reason: "Fix double charge on café receipts — INC-4711", ticket: "INC-4711"
    )
    static let deployBytesHex =
        "0000001e636f756e7465727369676e2f726571756573742d636f6e74656e742f7631000000046b696e64000000066465706c6f79"
        + "0000000972657175657374657200000005616c6963650000000a637265617465645f61740000000d31383030303030303030313233"
        + "00000007736572766963650000000c7061796d656e74732d6170690000000b656e7669726f6e6d656e740000000a70726f6475637469"
        + "6f6e00000006636f6d6d69740000002834623832356463363432636236656239613036306535346266386436393238386662656534"
        + "39303400000006726561736f6e0000003046697820646f75626c6520636861726765206f6e20636166c3a920726563656970747320"
        + "e2809420494e432d34373131000000067469636b657400000008494e432d34373131"
    static let deployDigest = "ab5033575fe704bf645cdda00537c3934c9ae739d325ed3d246922cd2d220a23"

    // Vector 2: an ssh request.
    static let sshVector = RequestContent(
        id: "zyxwvtsrqpnmkjhgfedc", requester: "bob", createdAtMs: 1_800_000_060_000, kind: .ssh,
        host: "db-1.prod.example.com", login: "postgres", durationSeconds: 1800,
        reason: "Vacuum the bloated ledger table", ticket: "CHG-2024"
    )
    static let sshBytesHex =
        "0000001e636f756e7465727369676e2f726571756573742d636f6e74656e742f7631000000046b696e6400000003737368"
        + "0000000972657175657374657200000003626f620000000a637265617465645f61740000000d31383030303030303630303030"
        + "00000004686f73740000001564622d312e70726f642e6578616d706c652e636f6d000000056c6f67696e00000008706f737467726573"
        + "000000106475726174696f6e5f7365636f6e6473000000043138303000000006726561736f6e0000001f56616375756d2074686520"
        + "626c6f61746564206c6564676572207461626c65000000067469636b6574000000084348472d32303234"
    static let sshDigest = "bd231bb794a283310e6629442fd7b592354421d6eeb89c4251e00425b9fad816"

    @Test("the deploy vector encodes to the documented bytes and digest")
    func deployVectorBytes() throws {
        let request = try Self.deployVector.request
        let expected = IndependentEncoding.requestContent([
            "kind": "deploy", "requester": "alice", "created_at": "1800000000123",
            "service": "payments-api", "environment": "production", "commit": "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
            "reason": "Fix double charge on café receipts — INC-4711", "ticket": "INC-4711",
        ])
        #expect(request.canonicalContent.bytes == expected)
        #expect(request.canonicalContent.bytes.hexString == Self.deployBytesHex)
        #expect(request.canonicalContent.bytes.count == 299)
        #expect(request.contentDigest == Self.deployDigest)
    }

    @Test("the ssh vector encodes to the documented bytes and digest")
    func sshVectorBytes() throws {
        let request = try Self.sshVector.request
        let expected = IndependentEncoding.requestContent([
            "kind": "ssh", "requester": "bob", "created_at": "1800000060000",
            "host": "db-1.prod.example.com", "login": "postgres", "duration_seconds": "1800",
            "reason": "Vacuum the bloated ledger table", "ticket": "CHG-2024",
        ])
        #expect(request.canonicalContent.bytes == expected)
        #expect(request.canonicalContent.bytes.hexString == Self.sshBytesHex)
        #expect(request.canonicalContent.bytes.count == 249)
        #expect(request.contentDigest == Self.sshDigest)
    }

    @Test("a digest artifact reference is encoded with its prefix")
    func sha256Commit() throws {
        let hex = String(repeating: "ab", count: 32)
        let request = try Self.deployVector.with("sha256") { $0.commit = "sha256:" + hex }.request
        let expected = IndependentEncoding.requestContent([
            "kind": "deploy", "requester": "alice", "created_at": "1800000000123",
            "service": "payments-api", "environment": "production", "commit": "sha256:" + hex,
            "reason": "Fix double charge on café receipts — INC-4711", "ticket": "INC-4711",
        ])
        #expect(request.canonicalContent.bytes == expected)
    }

    static let deployChanges: [RequestContent] = [
        deployVector.with("another requester") { $0.requester = "alicia" },
        deployVector.with("a creation one millisecond later") { $0.createdAtMs += 1 },
        deployVector.with("another service") { $0.service = "payments-web" },
        deployVector.with("another environment") { $0.environment = "staging" },
        deployVector.with("another commit") { $0.commit = "4b825dc642cb6eb9a060e54bf8d69288fbee4905" },
        deployVector.with("the commit as a digest") { $0.commit = "sha256:" + String(repeating: "0", count: 64) },
        deployVector.with("another reason") { $0.reason += "." },
        deployVector.with("the reason in decomposed Unicode") {
            $0.reason = "Fix double charge on cafe\u{301} receipts — INC-4711"
        },
        deployVector.with("another ticket") { $0.ticket = "INC-4712" },
        deployVector.with("no ticket") { $0.ticket = "" },
        deployVector.with("text moved from the reason to the ticket") {
            $0.reason = "Fix double charge on café receipts — INC-471"
            $0.ticket = "1INC-4711"
        },
    ]

    static let sshChanges: [RequestContent] = [
        sshVector.with("another requester") { $0.requester = "bobby" },
        sshVector.with("a creation one millisecond earlier") { $0.createdAtMs -= 1 },
        sshVector.with("another host") { $0.host = "db-2.prod.example.com" },
        sshVector.with("another login") { $0.login = "root" },
        sshVector.with("one second more") { $0.durationSeconds += 1 },
        sshVector.with("another reason") { $0.reason = "Vacuum the bloated ledger table!" },
        sshVector.with("another ticket") { $0.ticket = "CHG-2025" },
        sshVector.with("field text shifted across a boundary") {
            $0.host = "db-1.prod.example.co"
            $0.login = "mpostgres"
        },
    ]

    @Test("changing any single deploy field changes the digest", arguments: deployChanges)
    func deployFieldChangesDigest(_ changed: RequestContent) throws {
        #expect(try changed.request.contentDigest != Self.deployDigest)
    }

    @Test("changing any single ssh field changes the digest", arguments: sshChanges)
    func sshFieldChangesDigest(_ changed: RequestContent) throws {
        #expect(try changed.request.contentDigest != Self.sshDigest)
    }

    @Test("all the changed contents have distinct digests")
    func distinct() throws {
        let digests = try (Self.deployChanges + Self.sshChanges + [Self.deployVector, Self.sshVector]).map { try $0.request.contentDigest }
        #expect(Set(digests).count == digests.count)
    }

    @Test("the id does not change the digest")
    func idNotCovered() throws {
        #expect(try Self.deployVector.with("other id") { $0.id = "zzzzzzzzzzzzzzzzzzzz" }.request.contentDigest == Self.deployDigest)
    }

    @Test("the state of a request does not change the digest")
    func stateNotCovered() throws {
        let pending = try Self.deployVector.request
        let bob = Actor(name: user("bob"), groups: ["sre"])
        let alice = Actor(name: user("alice"), groups: [])
        let soon = pending.createdAt.addingTimeInterval(5)
        let approved = try RequestRules.apply(.approve(bob, method: .session), to: pending, at: soon).request
        let states = [
            pending,
            approved,
            try RequestRules.apply(.deny(bob, reason: "No"), to: pending, at: soon).request,
            try RequestRules.apply(.cancel(alice), to: pending, at: soon).request,
            try RequestRules.apply(.expire, to: pending, at: pending.pendingExpiresAt).request,
            try RequestRules.apply(.revoke(alice, reason: "Done"), to: approved, at: soon).request,
            try RequestRules.apply(.expire, to: approved, at: soon.addingTimeInterval(1800)).request,
        ]
        #expect(Set(states.map(\.state)) == Set(RequestState.allCases))
        for request in states {
            #expect(request.contentDigest == Self.deployDigest)
        }
    }

    @Test("the policy snapshot is not part of the content")
    func policyNotCovered() throws {
        let request = try Self.sshVector.request
        let restored = AccessRequest(
            restoring: request.id, requester: request.requester, target: request.target, reason: request.reason,
            ticket: request.ticket, createdAt: request.createdAt, ruleName: "another-rule",
            requirement: requirement([clause(3, "dba")], hardwareKey: true),
            certificateTerms: try CertificateTerms(lifetimeSeconds: 60, forwarding: [.agent]), singleUse: true,
            pendingExpiresAt: request.createdAt.addingTimeInterval(60), accessDurationSeconds: 60, state: .expired,
            updatedAt: request.createdAt.addingTimeInterval(60), approvals: [], denial: nil, accessExpiresAt: nil,
            closedBy: nil, closeReason: nil, rolloutStart: RolloutStart(at: request.createdAt, by: .person(request.requester))
        )
        #expect(restored.contentDigest == Self.sshDigest)
    }

    @Test("creation time is hashed at millisecond precision, so a request read back from storage hashes the same")
    func millisecondPrecision() throws {
        let vector = try Self.deployVector.request
        let precise = AccessRequest(
            id: vector.id, requester: vector.requester,
            draft: try RequestDraft(target: vector.target, reason: vector.reason, ticket: vector.ticket),
            createdAt: Date(timeIntervalSince1970: 1_800_000_000.1231), ruleName: "r", requirement: vector.requirement,
            pendingExpiresAt: vector.pendingExpiresAt, accessDurationSeconds: 1
        )
        #expect(precise.createdAt.millisecondsSinceEpoch == 1_800_000_000_123)
        #expect(precise.contentDigest == Self.deployDigest)
    }

    @Test(
        "an item is its 4-byte big-endian length, then its bytes",
        arguments: [
            ("", "00000000"),
            ("a", "0000000161"),
            ("é", "00000002c3a9"),
            (String(repeating: "x", count: 256), "00000100" + String(repeating: "78", count: 256)),
        ]
    )
    func itemEncoding(text: String, hex: String) {
        var encoding = CanonicalEncoding(tag: "t")
        encoding.append(text)
        #expect(encoding.bytes.hexString == "0000000174" + hex)
    }

    @Test(
        "numbers are written as their shortest decimal text",
        arguments: [(Int64(0), "0"), (7, "7"), (-1, "-1"), (1_800_000_000_123, "1800000000123"), (.max, "9223372036854775807")]
    )
    func numberEncoding(number: Int64, text: String) {
        var encoding = CanonicalEncoding(tag: "t")
        encoding.append(number)
        #expect(encoding.bytes == IndependentEncoding.item("t") + IndependentEncoding.item(text))
    }

    @Test("hex text round-trips and refuses what is not hex")
    func hex() {
        #expect([UInt8]([0x00, 0x0f, 0xa0, 0xff]).hexString == "000fa0ff")
        #expect([UInt8](hexString: "000fa0ff") == [0x00, 0x0f, 0xa0, 0xff])
        #expect([UInt8](hexString: "000FA0FF") == [0x00, 0x0f, 0xa0, 0xff])
        #expect([UInt8](hexString: "") == [])
        #expect([UInt8](hexString: "abc") == nil)
        #expect([UInt8](hexString: "zz") == nil)
        #expect([UInt8](hexString: "0x00") == nil)
    }
}
