import CountersignCore
import CountersignStore
import Foundation
import Testing

/// The checks both backends read rows through (`CountersignStore/Restoring`): a value written by
/// the store comes back equal; a damaged one is `corrupt_row` naming its table, and content that
/// no longer matches its digest is `integrity_violation` naming the request.
@Suite("Restoring stored columns into domain values")
struct RestoringTests {
    static let now = Date(millisecondsSinceEpoch: 1_800_000_000_000)

    static func request() throws -> AccessRequest {
        try ContractFixtures.deploy(at: now)
    }

    struct Damage: CustomTestStringConvertible, Sendable {
        let testDescription: String
        let damage: @Sendable (inout StoredRequest) -> Void
        init(_ description: String, _ damage: @escaping @Sendable (inout StoredRequest) -> Void) {
            testDescription = description
            self.damage = damage
        }
    }

    static let damages: [Damage] = [
        Damage("an id that is not a request id") { $0.id = "short" },
        Damage("an unknown kind") { $0.kind = "teleport" },
        Damage("a target that is not JSON") { $0.target = "{not json" },
        Damage("a target missing its kind's fields") { $0.target = #"{"service":"payments"}"# },
        Damage("a reason with a control character") { $0.reason = "ship\u{7}it" },
        Damage("a requirement with a zero-approval clause") { $0.requirement = #"{"clauses":[{"count":0,"group":"sre"}],"hardware_key_required":false}"# },
        Damage("a requirement without a clause on a request that is not a break-glass grant") {
            $0.requirement = #"{"clauses":[],"hardware_key_required":false}"#
        },
        Damage("a requirement without a clause that asks for a key") { $0.requirement = #"{"clauses":[],"hardware_key_required":true}"# },
        Damage("an unknown state") { $0.state = "teleported" },
        Damage("a denial without its reason") { ($0.deniedBy, $0.deniedAt) = ("carol", 1) },
        Damage("a closer who is not a user name") { $0.closedBy = "not a user!" },
        Damage("a digest of the wrong length") { $0.contentDigest = Array($0.contentDigest.dropLast()) },
        Damage("certificate terms that are not JSON") { $0.certificateTerms = "{" },
        Damage("certificate terms with an unknown key") {
            $0.certificateTerms = #"{"forwarding":[],"lifetime_seconds":600,"permit_user_rc":true,"source_address":[]}"#
        },
        Damage("certificate terms with a lifetime over a day") {
            $0.certificateTerms = #"{"forwarding":[],"lifetime_seconds":90000,"source_address":[]}"#
        },
        Damage("certificate terms with an unknown forwarding") {
            $0.certificateTerms = #"{"forwarding":["user_rc"],"lifetime_seconds":600,"source_address":[]}"#
        },
        Damage("certificate terms with an address in a spelling never written") {
            $0.certificateTerms = #"{"forwarding":[],"lifetime_seconds":600,"source_address":["2001:DB8::/32"]}"#
        },
        Damage("certificate terms whose command spans two lines") {
            $0.certificateTerms = #"{"force_command":"true\nsh","forwarding":[],"lifetime_seconds":600,"source_address":[]}"#
        },
        Damage("a recording that does not exist") {
            $0.certificateTerms = #"{"forwarding":[],"lifetime_seconds":600,"recording":"keystrokes","source_address":[]}"#
        },
        Damage("a recording switched off in a spelling never written") {
            $0.certificateTerms = #"{"forwarding":[],"lifetime_seconds":600,"recording":"off","source_address":[]}"#
        },
        Damage("a recorded session with another forced command") {
            $0.certificateTerms = #"{"force_command":"/bin/true","forwarding":[],"lifetime_seconds":600,"recording":"output","source_address":[]}"#
        },
    ]

    @Test("a recorded SSH request's terms restore with what is recorded", arguments: [CertificateTerms.Recording.output, .outputAndInput])
    func recordingRoundTrip(_ recording: CertificateTerms.Recording) throws {
        let terms = try CertificateTerms(lifetimeSeconds: 900, forwarding: [.agent], recording: recording)
        let request = try ContractFixtures.ssh(terms: terms, at: Self.now)
        let stored = try StoredRequest(request)
        #expect(stored.certificateTerms?.contains(#""recording":"\#(recording.rawValue)""#) == true)
        #expect(try stored.restore(approvals: [], grant: nil).certificateTerms == terms)
    }

    @Test("a request's columns restore to the request they were taken from")
    func requestRoundTrip() throws {
        let request = try Self.request()
        #expect(try StoredRequest(request).restore(approvals: [], grant: nil) == request)
    }

    @Test("an SSH request's certificate terms restore; a row from before terms existed has the standard ones")
    func certificateTermsRoundTrip() throws {
        let request = try ContractFixtures.ssh(at: Self.now)
        var stored = try StoredRequest(request)
        #expect(try stored.restore(approvals: [], grant: nil).certificateTerms == (try ContractFixtures.certificateTerms))
        stored.certificateTerms = nil
        #expect(try stored.restore(approvals: [], grant: nil).certificateTerms == .standard)
    }

    @Test("a damaged request column is a corrupt row of requests", arguments: damages)
    func damagedRequest(_ damage: Damage) throws {
        var stored = try StoredRequest(try Self.request())
        damage.damage(&stored)
        let error = #expect(throws: StoreError.self) { _ = try stored.restore(approvals: [], grant: nil) }
        #expect(error?.code == .corruptRow)
        #expect(error?.message.hasPrefix("requests row") == true)
    }

    @Test("content edited behind the digest is an integrity violation naming the request")
    func editedContent() throws {
        let request = try Self.request()
        var stored = try StoredRequest(request)
        stored.reason = "a perfectly valid but different reason"
        let error = #expect(throws: StoreError.self) { _ = try stored.restore(approvals: [], grant: nil) }
        #expect(error?.code == .integrityViolation)
        #expect(error?.subject == request.id.rawValue)
    }

    @Test("approvals restore, and one whose method and evidence disagree is a corrupt row")
    func approvals() throws {
        let approval = Approval(approver: try ContractFixtures.user("carol"), groups: ["sre", "dba"], at: Self.now, method: .session)
        let id = RequestID.random()
        let stored = StoredApproval(approval, of: id, at: 0)
        #expect(stored.approverGroups == #"["dba","sre"]"#, "sorted, as both backends write them")
        #expect(try stored.restore() == approval)
        let evidence = StoredApproval.Evidence(
            credentialID: [1], publicKey: [2], authenticatorData: [3], clientDataJSON: [4], signature: [5], nonce: [UInt8](repeating: 6, count: 32)
        )
        var damaged: [StoredApproval] = []
        var withEvidence = stored
        withEvidence.evidence = evidence
        damaged.append(withEvidence)
        var keyWithout = stored
        keyWithout.method = ApprovalMethod.hardwareKey.rawValue
        damaged.append(keyWithout)
        var shortNonce = keyWithout
        shortNonce.evidence = StoredApproval.Evidence(
            credentialID: [1], publicKey: [2], authenticatorData: [3], clientDataJSON: [4], signature: [5], nonce: [6]
        )
        damaged.append(shortNonce)
        var unknownMethod = stored
        unknownMethod.method = "telepathy"
        damaged.append(unknownMethod)
        var groups = stored
        groups.approverGroups = "sre"
        damaged.append(groups)
        for approval in damaged {
            let error = #expect(throws: StoreError.self) { _ = try approval.restore() }
            #expect(error?.code == .corruptRow)
        }
    }

    @Test("a change may add approvals but never alter a recorded one")
    func approvalsAreAdded() throws {
        let request = try Self.request()
        let carol = try RequestRules.apply(.approve(try ContractFixtures.actor("carol"), method: .session), to: request, at: Self.now).request
        let both = try RequestRules.apply(.approve(try ContractFixtures.actor("dave"), method: .session), to: carol, at: Self.now).request
        #expect(try StoredApproval.added(to: both, from: carol).map(\.position) == [1])
        #expect(try StoredApproval.added(to: carol, from: nil).map(\.approver) == ["carol"])
        let dave = try RequestRules.apply(.approve(try ContractFixtures.actor("dave"), method: .session), to: request, at: Self.now).request
        let error = #expect(throws: StoreError.self) { _ = try StoredApproval.added(to: dave, from: carol) }
        #expect(error?.code == .invalidChange)
    }

    @Test("keys, invites and challenges restore, and damaged ones are corrupt rows")
    func keysInvitesAndChallenges() throws {
        let key = try HardwareKeyStoreContract.key(1, owner: "bob", at: Self.now)
        #expect(try StoredKey(key).restore() == key)
        var negative = StoredKey(key)
        negative.signCount = -1
        var shortAAGUID = StoredKey(key)
        shortAAGUID.aaguid = [0]
        var unnamed = StoredKey(key)
        unnamed.name = " "
        for stored in [negative, shortAAGUID, unnamed] {
            let error = #expect(throws: StoreError.self) { _ = try stored.restore() }
            #expect(error?.code == .corruptRow)
        }

        let invite = try HardwareKeyStoreContract.invite(for: "bob", code: "code", at: Self.now)
        #expect(try StoredInvite(invite).restore() == invite)
        var shortHash = StoredInvite(invite)
        shortHash.codeHash = [1]
        let inviteError = #expect(throws: StoreError.self) { _ = try shortHash.restore() }
        #expect(inviteError?.message.contains("withheld") == true, "not even the code's hash is named")

        let registration = try HardwareKeyStoreContract.registration(HardwareKeyStoreContract.challengeID("a"), for: "bob", at: Self.now)
        #expect(try StoredChallenge(registration).restore() == registration)
        let removal = CeremonyChallenge(
            id: HardwareKeyStoreContract.challengeID("b"), user: try ContractFixtures.user("bob"),
            purpose: .keyRemoval(challenge: [UInt8](repeating: 2, count: 32), credentialID: [9]), issuedAt: Self.now
        )
        #expect(try StoredChallenge(removal).restore() == removal)
        var generator = SystemRandomNumberGenerator()
        let approval = CeremonyChallenge(
            id: HardwareKeyStoreContract.challengeID("c"), user: try ContractFixtures.user("dave"),
            purpose: .approval(ApprovalChallenge.issue(for: try Self.request(), approver: try ContractFixtures.user("dave"), at: Self.now, using: &generator)),
            issuedAt: Self.now
        )
        #expect(try StoredChallenge(approval).restore() == approval)
        var unknownPurpose = StoredChallenge(registration)
        unknownPurpose.purpose = "divination"
        var noBytes = StoredChallenge(registration)
        noBytes.challenge = nil
        var noNonce = StoredChallenge(approval)
        noNonce.nonce = nil
        for stored in [unknownPurpose, noBytes, noNonce] {
            let error = #expect(throws: StoreError.self) { _ = try stored.restore() }
            #expect(error?.code == .corruptRow)
        }
    }

    @Test("a search pattern escapes %, _ and \\ and matches anywhere")
    func searchPattern() throws {
        #expect(try RequestQuery(search: #"100%_\x"#).searchPattern == #"%100\%\_\\x%"#)
        #expect(try RequestQuery(search: "").searchPattern == nil)
        #expect(try RequestQuery().searchPattern == nil)
    }
}
