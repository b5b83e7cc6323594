import CountersignAPI
import Foundation
import Testing

/// The server writes its answers with `APIJSONEncoder`; clients read them with Foundation's
/// decoder, and the API's document was written against Foundation's encoder. Both encoders must
/// write the same bytes for every kind of answer.
@Suite("The API's JSON encoder")
struct APIJSONEncoderTests {
    static let time = Date(timeIntervalSince1970: 1_800_000_000.123)
    static let awkward = "quote\" back\\slash / tab\t nl\n cr\r \u{1} \u{1F} \u{7F} é 🔑 \u{202E}\u{200B} </script>"

    static func request(_ text: String) -> RequestView {
        RequestView(
            id: "r0123456789abcdefghi", kind: "ssh", state: "approved", requester: "alice",
            target: TargetView(host: "db-1.prod.internal", login: "postgres", durationSeconds: 3600),
            reason: text, ticket: "CHG-1", contentDigest: String(repeating: "ab", count: 32),
            createdAt: time, updatedAt: time.addingTimeInterval(1.5), pendingExpiresAt: time.addingTimeInterval(3600),
            accessExpiresAt: nil, accessDurationSeconds: 3600,
            requirement: RequirementView(
                rule: "database-ssh", hardwareKeyRequired: true,
                clauses: [ClauseView(group: "sre", required: 2, approvers: ["carol", "dave"], satisfied: true)],
                satisfied: true, summary: "sre: 2 of 2 ✓"
            ),
            approvals: [ApprovalView(approver: "carol", at: time, method: "hardware_key"), ApprovalView(approver: "dave", at: time, method: "session")],
            denial: DenialView(by: "erin", reason: text, at: time), closedBy: nil, closeReason: text,
            certificate: CertificateTermsView(lifetimeSeconds: 600, sourceAddress: ["10.0.0.0/8"], forceCommand: text, forwarding: ["port_forwarding"], recording: "output"),
            rollout: RolloutView(singleUse: true, startedAt: time, startedBy: "machine:ci"), callerMayReview: false
        )
    }

    static func expectSameBytes(_ value: some Encodable) throws {
        let foundation = Array(try APICoding.makeEncoder().encode(value))
        let ours = try APIJSONEncoder.encode(value)
        #expect(String(decoding: ours, as: UTF8.self) == String(decoding: foundation, as: UTF8.self))
    }

    @Test("Requests, with every optional present and absent and awkward text")
    func requests() throws {
        try Self.expectSameBytes(Self.request(Self.awkward))
        try Self.expectSameBytes(RequestListView(requests: [Self.request("plain"), Self.request("")], nextCursor: nil))
        try Self.expectSameBytes(RequestListView(requests: [], nextCursor: "cursor/with/slashes"))
    }

    @Test("Sessions, audit events with arbitrary detail keys, keys, errors")
    func otherAnswers() throws {
        try Self.expectSameBytes(LoginResponse(token: "cs1_token", username: "alice", groups: ["engineering", "sre"], expiresAt: Self.time))
        try Self.expectSameBytes(IdentityView(username: "alice", groups: [], sessionExpiresAt: Self.time))
        try Self.expectSameBytes(AuditEventView(
            sequence: Int64.max, time: Self.time, actor: Self.awkward, action: "login.failed", subject: "x",
            details: ["source_address": "127.0.0.1", "count": "3", "zzz": "last", "": "empty key", Self.awkward: Self.awkward],
            previousHash: "00", hash: "ff"
        ))
        try Self.expectSameBytes(AuditVerificationView(ok: false, verifiedEvents: -1, checkpoints: 0, firstFault: AuditFaultView(sequence: 4, kind: "content_mismatch", message: Self.awkward)))
        try Self.expectSameBytes(KeyListView(keys: [KeyView(credentialId: "abc", name: "yubi", attestation: "none", enrolledAt: Self.time, lastUsedAt: nil, flaggedAt: Self.time)]))
        try Self.expectSameBytes(APIErrorBody(code: "rate_limited", message: Self.awkward))
    }

    @Test("Keys with upper-case runs convert as Foundation converts them, and bare values encode alone")
    func keysAndBareValues() throws {
        struct Shapes: Encodable {
            let contentDigestURL = 1
            let httpStatusCode = 2
            let aBC = 3
            let _leading = 4
            let trailing_ = 5
            let already_snake = 6
            let x = [["nested": [1, 2]]]
            let flags = [true, false]
            let nothing: Int? = nil
        }
        try Self.expectSameBytes(Shapes())
        try Self.expectSameBytes("text")
        try Self.expectSameBytes([Self.time])
        try Self.expectSameBytes(["kEy": "values keep their case, keys do not"])
    }
}
